import express, { Router, type RequestHandler } from 'express';
import { KeyInputError } from '../../ops/api-keys';
import type { AppDeps } from '../app';
import { firstIssue, type ApiSchemas } from '../api-schemas';
import { auditFormat, auditPageQuery, sendAuditExport } from '../audit-query';
import { HttpError } from '../errors';
import { keyActions } from '../key-actions';
import { requireJson } from '../require-json';

/** Named keys and the audit log as JSON: admin scope. */
export function keysApiRoutes(deps: AppDeps, schemas: ApiSchemas, requireRedis: RequestHandler): Router {
  const router = Router();
  const admin = [deps.access.requireScope('admin'), requireRedis];
  const keys = keyActions(deps);

  router.get('/keys', ...admin, async (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ keys: await deps.apiKeys.list() });
  });

  router.post('/keys', ...admin, requireJson, express.json({ limit: '8kb', strict: true }), async (req, res) => {
    const parsed = schemas.apiKeyCreate.safeParse(req.body);
    if (!parsed.success) throw new HttpError(400, 'validation_failed', firstIssue(parsed.error));
    try {
      const { key, secret } = await keys.create(req, res, parsed.data);
      res.status(201).set('Cache-Control', 'no-store').json({ key, secret });
    } catch (err) {
      if (err instanceof KeyInputError) throw new HttpError(400, 'validation_failed', err.message);
      throw err;
    }
  });

  router.post('/keys/:id/revoke', ...admin, async (req, res) => {
    const r = await keys.revoke(req, res, String(req.params.id));
    res.json({ key: r.key, changed: r.revoked });
  });

  router.get('/audit', ...admin, async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await deps.audit.page(auditPageQuery(req, 100)));
  });

  router.get('/audit/export', ...admin, async (req, res) => sendAuditExport(deps.audit, auditFormat(req), res));

  return router;
}
