import type { Request, Response } from 'express';
import type { ApiKeys } from '../ops/api-keys';
import type { Access } from './access';
import { HttpError } from './errors';

/**
 * Key changes made over HTTP (the API and /admin): the change, its audit entry (once, only when
 * something changed) and the refusals, in one place. A KeyInputError from `create` is left to the
 * caller, which answers it as JSON or as the form again.
 */
export function keyActions(deps: { access: Access; apiKeys: ApiKeys }) {
  return {
    async create(req: Request, res: Response, input: { name: unknown; scopes: unknown }) {
      const actor = deps.access.actorOf(res);
      const created = await deps.apiKeys.create({ name: input.name, scopes: input.scopes, createdBy: { id: actor.id, name: actor.name } });
      await deps.access.record(req, res, 'key.create', { keyId: created.key.id, name: created.key.name, scopes: created.key.scopes.join(',') });
      return created;
    },
    async revoke(req: Request, res: Response, id: string) {
      const r = await deps.apiKeys.revoke(id);
      if (!r.ok && r.reason === 'bootstrap') throw new HttpError(400, 'bootstrap_key', 'The bootstrap key is PUBLISHER_TOKEN: change the setting to replace it.');
      if (!r.ok) throw new HttpError(404, 'key_not_found', 'No such key.');
      if (r.revoked) await deps.access.record(req, res, 'key.revoke', { keyId: r.key.id, name: r.key.name });
      return r;
    },
  };
}
