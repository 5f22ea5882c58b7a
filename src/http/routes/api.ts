import express, { Router, type RequestHandler } from 'express';
import type { AppDeps } from '../app';
import { articleSchema } from '../../alerts/article';
import { parseSignup } from '../../subscribers/signup-input';
import { requireBearer } from '../auth';
import { HttpError } from '../errors';

export const JSON_LIMIT = '256kb';

const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) {
    next(new HttpError(415, 'unsupported_media_type', 'Send the request body as application/json.'));
  } else next();
};

export function apiRoutes(deps: AppDeps, requireRedis: RequestHandler): Router {
  const { config } = deps;
  const router = Router();
  const json = [requireJson, express.json({ limit: JSON_LIMIT, strict: true })];
  const publisher = requireBearer(config.publisherToken);
  const articles = articleSchema(config.topics);

  router.post('/subscriptions', ...json, requireRedis, async (req, res) => {
    const parsed = parseSignup(req.body, config.topics, config.defaultLocale);
    if (!parsed.ok) throw new HttpError(400, 'validation_failed', parsed.message);
    await deps.subscriptions.signup(parsed.value);
    // The same answer for a new, pending or confirmed address: no enumeration.
    res.status(202).json({ status: 'pending' });
  });

  router.post('/articles', publisher, ...json, requireRedis, async (req, res) => {
    const parsed = articles.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new HttpError(400, 'validation_failed', `${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const { alertId, created } = await deps.publish(parsed.data);
    const statusUrl = `/api/alerts/${alertId}`;
    if (created) res.status(202).location(statusUrl).json({ alertId, status: 'queued', statusUrl });
    else res.status(200).location(statusUrl).json({ alertId, status: 'duplicate', duplicate: true, statusUrl });
  });

  router.get('/alerts/:id', publisher, requireRedis, async (req, res) => {
    const id = String(req.params.id);
    if (!/^[1-9][0-9]{0,15}$/.test(id)) throw new HttpError(404, 'alert_not_found', 'No such alert.');
    const status = await deps.alerts.status(id);
    if (!status) throw new HttpError(404, 'alert_not_found', 'No such alert.');
    res.json(status);
  });

  router.use((req, _res, next) => next(new HttpError(404, 'not_found', `No route for ${req.method} /api${req.path}`)));
  return router;
}
