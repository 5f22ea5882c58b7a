import express, { Router, type RequestHandler } from 'express';
import type { AppDeps } from '../app';
import { toArticle } from '../../article';
import { normaliseAddress } from '../../subscribers/email-address';
import { maskEmail } from '../../logger';
import { firstIssue, type ApiSchemas } from '../api-schemas';
import { HttpError } from '../errors';
import { requireJson } from '../require-json';
import { JSON_LIMIT } from './api';

/** Editor tools: see an alert before it goes out, and mail one copy to yourself. */
export function newsroomApiRoutes(deps: AppDeps, schemas: ApiSchemas): Router {
  const router = Router();
  const publisher = deps.access.requireScope('publish');
  const json = [requireJson, express.json({ limit: JSON_LIMIT, strict: true })];
  const previewer = deps.previewer;

  router.post('/articles/preview', publisher, ...json, async (req, res) => {
    if (!previewer) throw new HttpError(503, 'service_unavailable', 'Preview is not available in this process.');
    const parsed = schemas.article.safeParse(req.body);
    if (!parsed.success) throw new HttpError(400, 'validation_failed', firstIssue(parsed.error));
    res.json(await previewer.preview(toArticle(parsed.data, deps.config.defaultLocale, deps.config.articleBoilerplate)));
  });

  router.post('/articles/test-send', publisher, ...json, async (req, res) => {
    if (!previewer) throw new HttpError(503, 'service_unavailable', 'Test send is not available in this process.');
    const parsed = schemas.testSend.safeParse(req.body);
    if (!parsed.success) throw new HttpError(400, 'validation_failed', firstIssue(parsed.error));
    const to = normaliseAddress(parsed.data.to);
    if (!to.ok) throw new HttpError(400, 'validation_failed', `to: ${to.reason}`);
    const article = toArticle(parsed.data.article, deps.config.defaultLocale, deps.config.articleBoilerplate);
    try {
      await previewer.testSend(article, parsed.data.locale ?? article.locale, to.address);
    } catch (err) {
      deps.logger.warn({ to: maskEmail(to.address), err: (err as Error).message }, 'test send failed');
      throw new HttpError(502, 'send_failed', `The mail server did not accept the test copy: ${(err as Error).message.slice(0, 200)}`);
    }
    await deps.access.record(req, res, 'alert.test_send', { to: maskEmail(to.address) });
    deps.logger.info({ to: maskEmail(to.address) }, 'test copy sent');
    res.json({ status: 'sent', to: to.address });
  });

  return router;
}
