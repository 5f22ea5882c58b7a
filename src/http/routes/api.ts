import express, { Router, type RequestHandler } from 'express';
import type { AppDeps } from '../app';
import { editSchema, PublishRefused, publishSchema } from '../../alerts/publish';
import { firstIssue } from '../api-schemas';
import { HttpError } from '../errors';
import { requireJson } from '../require-json';
import type { SignupIntake } from '../signup-intake';

export const JSON_LIMIT = '256kb';

const REFUSED_STATUS: Record<PublishRefused['code'], number> = {
  publish_at_in_past: 400,
  publish_at_too_far: 400,
  update_target_not_found: 422,
  update_target_scheduled: 409,
};

/** A publish or edit refused for what it asks: the API's 4xx. */
function refused(err: unknown): never {
  if (err instanceof PublishRefused) throw new HttpError(REFUSED_STATUS[err.code], err.code, err.message);
  throw err;
}

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
  const articles = publishSchema(config.topics);
  const edits = editSchema(config.topics);

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
    const { alertId, created, publishAt } = await deps.publish(parsed.data).catch(refused);
    // A duplicate changed nothing, so it is not an audited action.
    if (created) await deps.access.record(req, res, publishAt ? 'alert.schedule' : 'alert.publish', { alertId });
    const statusUrl = `/api/alerts/${alertId}`;
    if (created) res.status(202).location(statusUrl).json({ alertId, status: publishAt ? 'scheduled' : 'queued', statusUrl, ...(publishAt ? { publishAt } : {}) });
    else res.status(200).location(statusUrl).json({ alertId, status: 'duplicate', duplicate: true, statusUrl });
  });

  router.get('/alerts/:id', requireScope('read', 'publish'), requireRedis, async (req, res) => {
    const id = alertIdParam(req.params.id);
    const status = await deps.alerts.status(id);
    if (!status) throw new HttpError(404, 'alert_not_found', 'No such alert.');
    res.json(status);
  });

  // A scheduled alert's article and time, until it fires: validated like a publish.
  router.patch('/alerts/:id', requireScope('publish'), ...json, requireRedis, async (req, res) => {
    const id = alertIdParam(req.params.id);
    const body: unknown = req.body;
    if (body && typeof body === 'object' && ('id' in body || 'updates' in body)) {
      throw new HttpError(400, 'validation_failed', `${'id' in body ? 'id' : 'updates'}: cannot be changed; cancel the alert and publish it again`);
    }
    const parsed = edits.safeParse(body);
    if (!parsed.success) throw new HttpError(400, 'validation_failed', firstIssue(parsed.error));
    const r = await deps.editScheduled(id, parsed.data).catch(refused);
    if (r === 'not_found') throw new HttpError(404, 'alert_not_found', 'No such alert.');
    if (r !== 'changed') throw new HttpError(409, 'alert_state_conflict', `A ${r.conflict} alert cannot be edited; only a scheduled one can.`);
    await deps.access.record(req, res, 'alert.edit', { alertId: id, fields: Object.keys(parsed.data).join(',') });
    deps.logger.info({ alertId: id, fields: Object.keys(parsed.data) }, 'scheduled alert edited');
    res.json(await deps.alerts.status(id));
  });

  // Pause, resume, cancel: no body needed. The answer is the alert's status after the action.
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    router.post(`/alerts/:id/${action}`, requireScope('publish'), requireRedis, async (req, res) => {
      const id = alertIdParam(req.params.id);
      const result = await deps.controlAlert(id, action);
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
