import express, { Router, type RequestHandler } from 'express';
import { KeyInputError } from '../../ops/api-keys';
import type { AppDeps } from '../app';
import { firstIssue, type ApiSchemas } from '../api-schemas';
import { auditFormat, auditPageQuery, sendAuditExport } from '../audit-query';
import { HttpError } from '../errors';
import { requireJson } from '../require-json';

/** Named keys and the audit log as JSON: admin scope. */
export function keysApiRoutes(deps: AppDeps, schemas: ApiSchemas, requireRedis: RequestHandler): Router {
  const router = Router();
  const admin = [deps.access.requireScope('admin'), requireRedis];

  router.get('/keys', ...admin, async (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ keys: await deps.apiKeys.list() });
  });

  router.post('/keys', ...admin, requireJson, express.json({ limit: '8kb', strict: true }), async (req, res) => {
    const parsed = schemas.apiKeyCreate.safeParse(req.body);
    if (!parsed.success) throw new HttpError(400, 'validation_failed', firstIssue(parsed.error));
    const b = parsed.data;
    const actor = deps.access.actorOf(res);
    try {
      const { key, secret } = await deps.apiKeys.create({ name: b.name, scopes: b.scopes, createdBy: { id: actor.id, name: actor.name } });
      await deps.access.record(req, res, 'key.create', { keyId: key.id, name: key.name, scopes: key.scopes.join(',') });
      res.status(201).set('Cache-Control', 'no-store').json({ key, secret });
    } catch (err) {
      if (err instanceof KeyInputError) throw new HttpError(400, 'validation_failed', err.message);
      throw err;
    }
  });

  router.post('/keys/:id/revoke', ...admin, async (req, res) => {
    const r = await deps.apiKeys.revoke(String(req.params.id));
    if (!r.ok && r.reason === 'bootstrap') throw new HttpError(400, 'bootstrap_key', 'The bootstrap key is PUBLISHER_TOKEN: change the setting to replace it.');
    if (!r.ok) throw new HttpError(404, 'key_not_found', 'No such key.');
    if (r.revoked) await deps.access.record(req, res, 'key.revoke', { keyId: r.key.id, name: r.key.name });
    res.json({ key: r.key, changed: r.revoked });
  });

  router.get('/audit', ...admin, async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await deps.audit.page(auditPageQuery(req, 100)));
  });

  router.get('/audit/export', ...admin, async (req, res) => sendAuditExport(deps.audit, auditFormat(req), res));

  return router;
}
