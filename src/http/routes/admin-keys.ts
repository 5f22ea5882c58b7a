import express, { Router, type Response } from 'express';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { isKeyId, KeyInputError, type ApiKeys } from '../../ops/api-keys';
import type { AuditLog } from '../../ops/audit-log';
import { pageViewer, type Access } from '../access';
import { auditFormat, auditPageQuery, sendAuditExport } from '../audit-query';
import { keyActions } from '../key-actions';
import { adminLayout } from '../pages/admin-pages';
import { auditPage, keysPage } from '../pages/admin-keys-pages';
import type { SafeHtml } from '../pages/html';

export interface AdminKeysDeps {
  config: Config;
  logger: Logger;
  access: Access;
  apiKeys: ApiKeys;
  audit: AuditLog;
}

const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((s): s is string => typeof s === 'string');

/** /admin/keys (create, list, revoke named keys) and /admin/audit (the audit log, paged and exported): admin scope. */
export function adminKeysRoutes(deps: AdminKeysDeps): Router {
  const router = Router();
  const admin = deps.access.requireScope('admin');
  const keys = keyActions(deps);
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });
  const page = (res: Response, status: number, title: string, body: SafeHtml) =>
    res.status(status).type('html').set('Cache-Control', 'no-store').send(adminLayout({ title, body, signedIn: true, siteName: deps.config.siteName, viewer: pageViewer(res) }));

  router.get('/admin/keys', admin, async (req, res) => {
    const revoked = typeof req.query.revoked === 'string' && isKeyId(req.query.revoked) ? req.query.revoked : undefined;
    const keys = await deps.apiKeys.list();
    const name = revoked ? keys.find((k) => k.id === revoked)?.name : undefined;
    page(res, 200, 'API keys', keysPage({ keys, message: name ? { kind: 'ok', text: `The key "${name}" is revoked: it no longer works anywhere.` } : undefined }));
  });

  router.post('/admin/keys', admin, form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const scopes = list(body.scopes);
    try {
      const created = await keys.create(req, res, { name: body.name, scopes });
      deps.logger.info({ keyId: created.key.id, by: deps.access.actorOf(res).id }, 'api key created from /admin');
      page(res, 201, 'API keys', keysPage({ keys: await deps.apiKeys.list(), created }));
    } catch (err) {
      if (!(err instanceof KeyInputError)) throw err;
      const name = typeof body.name === 'string' ? body.name.slice(0, 200) : '';
      page(res, 400, 'API keys', keysPage({ keys: await deps.apiKeys.list(), message: { kind: 'error', text: err.message }, values: { name, scopes } }));
    }
  });

  router.post('/admin/keys/:id/revoke', admin, async (req, res) => {
    const r = await keys.revoke(req, res, String(req.params.id));
    res.redirect(303, `/admin/keys?revoked=${r.key.id}`);
  });

  router.get('/admin/audit', admin, async (req, res) => {
    const q = auditPageQuery(req);
    const [{ entries, next }, total] = await Promise.all([deps.audit.page(q), deps.audit.count()]);
    page(res, 200, 'Audit log', auditPage({ entries, next, before: q.before, total }));
  });

  router.get('/admin/audit/export', admin, async (req, res) => sendAuditExport(deps.audit, auditFormat(req), res));

  return router;
}
