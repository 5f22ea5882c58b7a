import express, { Router, type Request, type Response } from 'express';
import cookieParser from 'cookie-parser';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { maskEmail } from '../../logger';
import { SUBSCRIBERS_SCOPE, type SubscriberAction } from '../../subscribers/subscriber-admin';
import { pageViewer, type Access } from '../access';
import { createCsrf } from '../csrf';
import { HttpError } from '../errors';
import { html, type SafeHtml } from '../pages/html';
import { adminLayout } from '../pages/admin-pages';
import { audienceChartSection, audienceTotalsSection, lookupForm, subscriberCard } from '../pages/audience-pages';
import { audienceRange, type AudienceDeps } from './audience-api';

export interface AdminSubscribersDeps {
  config: Config;
  logger: Logger;
  access: Access;
  audience: AudienceDeps;
  topicNames: Record<string, string>;
}

const LOCALE_NAMES = { id: 'Bahasa Indonesia', en: 'English' };

/**
 * /admin/subscribers: the audience figures (from the counters) and the lookup of one subscriber by
 * exact address, with unsubscribe, export and delete. The address only ever travels in POST
 * bodies (never in a URL, so not in access logs or history) and is logged masked. Each form
 * carries a CSRF token besides the SameSite session cookie.
 */
export function adminSubscribersRoutes(deps: AdminSubscribersDeps): Router {
  const { config } = deps;
  const router = Router();
  const secure = config.publicUrl.startsWith('https:');
  const newsroom = deps.access.requireScope(SUBSCRIBERS_SCOPE);
  const csrf = createCsrf({ secretKey: config.secretKey, secure });
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 });
  const { stats, subscribers } = deps.audience;
  router.use('/admin/subscribers', cookieParser(), csrf.cookies);

  const page = (req: Request, res: Response, status: number, body: SafeHtml) =>
    res
      .status(status)
      .type('html')
      .set('Cache-Control', 'no-store')
      .send(csrf.addToForms(req, res, adminLayout({ title: 'Audience', body, signedIn: true, siteName: config.siteName, viewer: pageViewer(res) })));

  /** The page: figures first, then the lookup (and what it found). */
  const audiencePage = async (req: Request, res: Response, status: number, lookup: SafeHtml, span = 30) => {
    const range = audienceRange({ days: String(span) });
    const [totals, days] = await Promise.all([stats.totals(), stats.daily(range.from, range.to)]);
    page(req, res, status, html`${lookup}${audienceTotalsSection(totals, deps.topicNames, LOCALE_NAMES)}${audienceChartSection(days, span)}
<p class="note">JSON: <code>GET /api/stats/audience?days=${span}</code>, <code>POST /api/subscribers/lookup</code> (a key with the <code>subscribers</code> scope).</p>`);
  };

  router.get('/admin/subscribers', newsroom, async (req, res) => {
    const span = req.query.days === '90' ? 90 : 30;
    await audiencePage(req, res, 200, lookupForm(), span);
  });

  const emailOf = (req: Request) => ((req.body ?? {}) as Record<string, unknown>).email;

  router.post('/admin/subscribers/lookup', newsroom, form, async (req, res) => {
    csrf.verify(req);
    const email = emailOf(req);
    const r = await subscribers.lookup(email);
    if (!r.ok) {
      return audiencePage(req, res, r.code === 'invalid_email' ? 400 : 404, lookupForm({ email: typeof email === 'string' ? email : '', message: { kind: 'error', text: r.code === 'invalid_email' ? `Not an address: ${r.message}` : r.message } }));
    }
    await audiencePage(req, res, 200, html`${lookupForm()}${subscriberCard(r.subscriber, deps.topicNames)}`);
  });

  for (const action of ['unsubscribe', 'export', 'delete'] as const satisfies SubscriberAction[]) {
    router.post(`/admin/subscribers/${action}`, newsroom, form, async (req, res) => {
      csrf.verify(req);
      const email = emailOf(req);
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (action === 'delete' && body.confirm !== 'yes') {
        // First press: ask, showing what would go.
        const found = await subscribers.lookup(email);
        if (!found.ok) throw new HttpError(found.code === 'invalid_email' ? 400 : 404, found.code, found.message);
        return audiencePage(req, res, 200, html`${lookupForm()}${subscriberCard(found.subscriber, deps.topicNames, { confirmDelete: true })}`);
      }
      const r = await subscribers.act(action, email);
      if (!r.ok) return audiencePage(req, res, r.code === 'invalid_email' ? 400 : 404, lookupForm({ message: { kind: 'error', text: r.message } }));
      deps.logger.info({ action, to: maskEmail(r.address) }, `subscriber ${action} by the newsroom (/admin)`);
      // An unsubscribe that changed nothing is not an action; an export (data left) and a delete always are.
      if (r.action !== 'unsubscribe' || r.changed) await deps.access.record(req, res, `subscriber.${action}`, { subscriber: maskEmail(r.address) });
      if (r.action === 'export') {
        res.set('Cache-Control', 'no-store');
        res.attachment('kilat-subscriber.json');
        return void res.type('application/json').send(JSON.stringify(r.data, null, 2));
      }
      if (r.action === 'delete') return audiencePage(req, res, 200, lookupForm({ message: { kind: 'ok', text: 'Deleted. Only a keyed hash of the address stays, in the suppression set.' } }));
      await audiencePage(
        req,
        res,
        200,
        html`${lookupForm({ message: { kind: 'ok', text: r.changed ? 'Unsubscribed: no more alerts go to this address.' : `Nothing to do: the subscriber is ${r.subscriber.status}.` } })}${subscriberCard(r.subscriber, deps.topicNames)}`,
      );
    });
  }
  return router;
}
