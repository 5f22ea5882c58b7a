import express, { Router, type RequestHandler } from 'express';
import type { AppDeps } from '../app';
import { articleSchema } from '../../article';
import { HttpError } from '../errors';
import type { SignupIntake } from '../signup-intake';

export const JSON_LIMIT = '256kb';

const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) {
    next(new HttpError(415, 'unsupported_media_type', 'Send the request body as application/json.'));
  } else next();
};

const PAST = { pause: 'paused', resume: 'resumed', cancel: 'cancelled' } as const;

function alertIdParam(value: unknown): string {
  const id = String(value);
  if (!/^[1-9][0-9]{0,15}$/.test(id)) throw new HttpError(404, 'alert_not_found', 'No such alert.');
  return id;
}

export function apiRoutes(deps: AppDeps, requireRedis: RequestHandler, intake: SignupIntake): Router {
  const { config } = deps;
  const router = Router();
  const json = [requireJson, express.json({ limit: JSON_LIMIT, strict: true })];
  const { requireScope } = deps.access;
  const articles = articleSchema(config.topics);

  router.post('/subscriptions', ...json, requireRedis, async (req, res) => {
    const body: unknown = req.body;
    // A cross-origin call allowed by EMBED_ORIGINS comes from the embed script (CORS is checked before).
    const kind = req.get('origin') && res.get('Access-Control-Allow-Origin') ? 'script' : 'api';
    const r = await intake(req, body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : { email: body }, kind);
    if (!r.ok) throw new HttpError(r.status, r.code, r.message);
    // The same answer for a new, pending or confirmed address: no enumeration.
    res.status(202).json({ status: 'pending' });
  });

  router.post('/articles', requireScope('publish'), ...json, requireRedis, async (req, res) => {
    const parsed = articles.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new HttpError(400, 'validation_failed', `${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const { alertId, created } = await deps.publish(parsed.data);
    // A duplicate changed nothing, so it is not an audited action.
    if (created) await deps.access.record(req, res, 'alert.publish', { alertId });
    const statusUrl = `/api/alerts/${alertId}`;
    if (created) res.status(202).location(statusUrl).json({ alertId, status: 'queued', statusUrl });
    else res.status(200).location(statusUrl).json({ alertId, status: 'duplicate', duplicate: true, statusUrl });
  });

  router.get('/alerts/:id', requireScope('read', 'publish'), requireRedis, async (req, res) => {
    const id = alertIdParam(req.params.id);
    const status = await deps.alerts.status(id);
    if (!status) throw new HttpError(404, 'alert_not_found', 'No such alert.');
    res.json(status);
  });

  // Pause, resume, cancel: no body needed. The answer is the alert's status after the action.
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    router.post(`/alerts/:id/${action}`, requireScope('publish'), requireRedis, async (req, res) => {
      const id = alertIdParam(req.params.id);
      const result = await deps.alerts.control(id, action);
      if (!result.ok && result.reason === 'not_found') throw new HttpError(404, 'alert_not_found', 'No such alert.');
      if (!result.ok) throw new HttpError(409, 'alert_state_conflict', `A ${result.state} alert cannot be ${PAST[action]}.`);
      if (result.changed) await deps.access.record(req, res, `alert.${action}`, { alertId: id });
      deps.logger.info({ alertId: id, action, state: result.state, changed: result.changed }, 'alert control');
      res.json({ ...(await deps.alerts.status(id)), changed: result.changed });
    });
  }

  router.use((req, _res, next) => next(new HttpError(404, 'not_found', `No route for ${req.method} /api${req.path}`)));
  return router;
}
