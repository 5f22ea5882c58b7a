import express, { Router, type Request, type RequestHandler } from 'express';
import { LOCALES } from '../../config';
import type { Logger } from '../../logger';
import { maskEmail } from '../../logger';
import type { AudienceStats } from '../../subscribers/audience-stats';
import { DAY } from '../../subscribers/signup-stats';
import { SUBSCRIBERS_SCOPE, type SubscriberAction, type SubscriberAdmin } from '../../subscribers/subscriber-admin';
import type { Access } from '../access';
import { firstIssue, type ApiSchemas } from '../api-schemas';
import { HttpError } from '../errors';
import { requireJson } from '../require-json';

export interface AudienceDeps {
  stats: AudienceStats;
  subscribers: SubscriberAdmin;
}

/** Longest series one call answers. */
export const MAX_AUDIENCE_DAYS = 366;

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The UTC days of an audience request: `days` back from today (default 30), or `from`/`to` (YYYY-MM-DD). */
export function audienceRange(query: Request['query'], now = Date.now()): { from: string; to: string } {
  const date = (v: unknown, fallback: string) => {
    if (v === undefined || v === '') return fallback;
    if (typeof v !== 'string' || !DAY.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)) || utcDay(Date.parse(`${v}T00:00:00Z`)) !== v) {
      throw new HttpError(400, 'validation_failed', 'from and to must be dates as YYYY-MM-DD.');
    }
    return v;
  };
  let days = 30;
  if (query.days !== undefined) {
    days = typeof query.days === 'string' && /^\d{1,3}$/.test(query.days) ? Number(query.days) : NaN;
    if (!(days >= 1 && days <= MAX_AUDIENCE_DAYS)) throw new HttpError(400, 'validation_failed', `days must be a whole number from 1 to ${MAX_AUDIENCE_DAYS}.`);
  }
  const to = date(query.to, utcDay(now));
  const from = date(query.from, utcDay(Date.parse(`${to}T00:00:00Z`) - (days - 1) * 86400_000));
  if (from > to) throw new HttpError(400, 'validation_failed', 'from must not be after to.');
  if ((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86400_000 + 1 > MAX_AUDIENCE_DAYS) {
    throw new HttpError(400, 'validation_failed', `At most ${MAX_AUDIENCE_DAYS} days at a time.`);
  }
  return { from, to };
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
      deps.logger.info({ action, to: maskEmail(email) }, `subscriber ${action} by the newsroom (API)`);
      // An unsubscribe that changed nothing is not an action; an export (data left) and a delete always are.
      if (r.action !== 'unsubscribe' || r.changed) await deps.access.record(req, res, `subscriber.${action}`, { subscriber: maskEmail(email.trim().toLowerCase()) });
      res.set('Cache-Control', 'no-store');
      if (r.action === 'unsubscribe') res.json({ changed: r.changed, subscriber: r.subscriber });
      else if (r.action === 'export') res.json(r.data);
      else res.json({ deleted: true });
    });
  }

  return router;
}
