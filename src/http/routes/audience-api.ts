import express, { Router, type Request, type RequestHandler } from 'express';
import { LOCALES } from '../../config';
import type { Logger } from '../../logger';
import { maskEmail } from '../../logger';
import type { AudienceStats } from '../../subscribers/audience-stats';
import { SUBSCRIBERS_SCOPE, type SubscriberAction, type SubscriberAdmin } from '../../subscribers/subscriber-admin';
import type { Access } from '../access';
import { firstIssue, type ApiSchemas } from '../api-schemas';
import { dayRange } from '../day-range';
import { HttpError } from '../errors';
import { requireJson } from '../require-json';

export interface AudienceDeps {
  stats: AudienceStats;
  subscribers: SubscriberAdmin;
}

/** The UTC days of an audience request: `days` back from today (default 30), or `from`/`to` (YYYY-MM-DD). */
export function audienceRange(query: Request['query'], now = Date.now()): { from: string; to: string } {
  return dayRange(query, { today: new Date(now).toISOString().slice(0, 10), defaultDays: 30, daysParam: true });
}

/**
 * The audience as JSON: the counters (GET /api/stats/audience) and one subscriber by exact address
 * (POST /api/subscribers/lookup) with the actions on them. The address travels in the body, never
 * in the URL, and is logged masked. Auth: a key with the `read` scope for the figures, `subscribers` for the lookup and actions.
 */
export function audienceApiRoutes(deps: { audience: AudienceDeps; logger: Logger; access: Access }, schemas: ApiSchemas, requireRedis: RequestHandler): Router {
  const router = Router();
  const readers = deps.access.requireScope('read');
  const newsroom = deps.access.requireScope(SUBSCRIBERS_SCOPE);
  const json = [requireJson, express.json({ limit: '16kb', strict: true })];
  const { stats, subscribers } = deps.audience;

  router.get('/stats/audience', readers, requireRedis, async (req, res) => {
    const range = audienceRange(req.query);
    const [totals, days] = await Promise.all([stats.totals(), stats.daily(range.from, range.to)]);
    res.set('Cache-Control', 'no-store').json({ totals, ...range, days, locales: LOCALES });
  });

  const addressOf = (body: unknown): string => {
    const parsed = schemas.subscriberLookup.safeParse(body);
    if (!parsed.success) throw new HttpError(400, 'validation_failed', firstIssue(parsed.error));
    return parsed.data.email;
  };
  const failed = (r: { code: 'invalid_email' | 'not_found'; message: string }) =>
    r.code === 'invalid_email' ? new HttpError(400, 'validation_failed', `email: ${r.message}`) : new HttpError(404, 'subscriber_not_found', r.message);

  router.post('/subscribers/lookup', newsroom, ...json, requireRedis, async (req, res) => {
    const r = await subscribers.lookup(addressOf(req.body));
    if (!r.ok) throw failed(r);
    res.set('Cache-Control', 'no-store').json(r.subscriber);
  });

  for (const action of ['unsubscribe', 'export', 'delete'] as const satisfies SubscriberAction[]) {
    router.post(`/subscribers/${action}`, newsroom, ...json, requireRedis, async (req, res) => {
      const email = addressOf(req.body);
      const r = await subscribers.act(action, email);
      if (!r.ok) throw failed(r);
      deps.logger.info({ action, to: maskEmail(r.address) }, `subscriber ${action} by the newsroom (API)`);
      // An unsubscribe that changed nothing is not an action; an export (data left) and a delete always are.
      if (r.action !== 'unsubscribe' || r.changed) await deps.access.record(req, res, `subscriber.${action}`, { subscriber: maskEmail(r.address) });
      res.set('Cache-Control', 'no-store');
      if (r.action === 'unsubscribe') res.json({ changed: r.changed, subscriber: r.subscriber });
      else if (r.action === 'export') res.json(r.data);
      else res.json({ deleted: true });
    });
  }

  return router;
}
