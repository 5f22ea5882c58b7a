import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Locale } from '../../config';
import { isLocale } from '../../i18n';
import { parseSignup } from '../../subscribers/signup-input';
import type { Subscriber } from '../../subscribers/subscriber-store';
import type { AppDeps } from '../app';
import { layout, messageBody, preferencesForm, signupForm, unsubscribeForm } from '../pages/pages';
import type { SafeHtml } from '../pages/html';

const FORM_LIMIT = '16kb';

/** Browser routes: every answer is a readable page in the reader's language. */
export function pageRoutes(deps: AppDeps, requireRedis: RequestHandler): Router {
  const { config, catalog } = deps;
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: FORM_LIMIT, parameterLimit: 50 });

  const page = (res: Response, status: number, locale: Locale, title: string, body: SafeHtml, switchHref?: string) =>
    res.status(status).type('html').send(layout({ locale, strings: catalog[locale], siteName: config.siteName, title, body, switchHref }));

  const invalidLink = (res: Response, locale: Locale) => {
    const p = catalog[locale].page;
    page(res, 400, locale, p.invalidLinkTitle!, messageBody(p.invalidLink!, { href: '/', label: p.back! }));
  };

  const pageLocale = (req: Request): Locale => {
    const lang = req.query.lang;
    return isLocale(lang) ? lang : config.defaultLocale;
  };

  router.get('/', (req, res) => {
    const locale = pageLocale(req);
    const other = locale === 'id' ? 'en' : 'id';
    page(res, 200, locale, catalog[locale].page.title!, signupForm(catalog[locale], config.topics, { locale, topics: [] }), `/?lang=${other}`);
  });

  router.post('/subscribe', form, requireRedis, async (req, res) => {
    await deps.signupLimits?.consumeIp(req.ip ?? '');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const locale: Locale = isLocale(body.locale) ? body.locale : config.defaultLocale;
    const topics = body.topics === undefined ? [] : Array.isArray(body.topics) ? body.topics : [body.topics];
    const parsed = parseSignup({ email: body.email ?? '', locale, topics }, config.topics, config.defaultLocale);
    const s = catalog[locale];
    if (!parsed.ok) {
      const email = typeof body.email === 'string' ? body.email.slice(0, 320) : '';
      const safeTopics = topics.filter((t): t is string => typeof t === 'string' && config.topics.includes(t));
      page(res, 400, locale, s.page.title!, signupForm(s, config.topics, { email, locale, topics: safeTopics }, parsed.message));
      return;
    }
    await deps.signupLimits?.consumeAddress(parsed.value.email);
    await deps.subscriptions.signup(parsed.value);
    page(res, 200, locale, s.page.checkInboxTitle!, messageBody(s.page.checkInbox!));
  });

  router.get('/confirm', requireRedis, async (req, res) => {
    const result = await deps.subscriptions.confirm(req.query.token);
    if (!result.ok) return invalidLink(res, pageLocale(req));
    const locale = result.subscriber.locale;
    const p = catalog[locale].page;
    page(res, 200, locale, p.confirmedTitle!, messageBody(result.already ? p.alreadyConfirmed! : p.confirmed!));
  });

  const unsubscribeAction = (req: Request) => `/unsubscribe?token=${encodeURIComponent(String(req.query.token))}`;
  const preferencesAction = (req: Request) => `/preferences?token=${encodeURIComponent(String(req.query.token))}`;

  // GET shows a button and changes nothing: mail scanners and link previews follow links.
  router.get('/unsubscribe', requireRedis, async (req, res) => {
    const found = await deps.subscriptions.lookup(req.query.token, 'unsubscribe');
    if (!found.ok) return invalidLink(res, pageLocale(req));
    const sub = found.subscriber;
    const p = catalog[sub.locale].page;
    if (sub.status === 'unsubscribed') return page(res, 200, sub.locale, p.unsubscribedTitle!, messageBody(p.unsubscribed!));
    page(res, 200, sub.locale, p.unsubscribeTitle!, unsubscribeForm(catalog[sub.locale], unsubscribeAction(req), sub.email));
  });

  // One-click (RFC 8058): a POST with the token unsubscribes at once, no cookie or CSRF token needed.
  router.post('/unsubscribe', form, requireRedis, async (req, res) => {
    const result = await deps.subscriptions.unsubscribe(req.query.token);
    if (!result.ok) return invalidLink(res, pageLocale(req));
    const p = catalog[result.subscriber.locale].page;
    page(res, 200, result.subscriber.locale, p.unsubscribedTitle!, messageBody(p.unsubscribed!));
  });

  const showPreferences = (req: Request, res: Response, sub: Subscriber, saved: boolean) => {
    const s = catalog[sub.locale];
    page(
      res,
      200,
      sub.locale,
      s.page.preferencesTitle!,
      preferencesForm(s, config.topics, {
        action: preferencesAction(req),
        unsubscribeAction: `/unsubscribe?token=${encodeURIComponent(deps.subscriptions.unsubscribeToken(sub.id))}`,
        email: sub.email,
        status: sub.status,
        locale: sub.locale,
        selected: sub.topics,
        saved,
      }),
    );
  };

  router.get('/preferences', requireRedis, async (req, res) => {
    const found = await deps.subscriptions.lookup(req.query.token, 'preferences');
    if (!found.ok) return invalidLink(res, pageLocale(req));
    showPreferences(req, res, found.subscriber, false);
  });

  router.post('/preferences', form, requireRedis, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const found = await deps.subscriptions.lookup(req.query.token, 'preferences');
    if (!found.ok) return invalidLink(res, pageLocale(req));
    const topics = (body.topics === undefined ? [] : Array.isArray(body.topics) ? body.topics : [body.topics]).filter(
      (t): t is string => typeof t === 'string' && config.topics.includes(t),
    );
    const locale = isLocale(body.locale) ? body.locale : found.subscriber.locale;
    const updated = await deps.subscriptions.updatePreferences(req.query.token, { locale, topics: [...new Set(topics)] });
    if (!updated.ok) return invalidLink(res, pageLocale(req));
    showPreferences(req, res, updated.subscriber, true);
  });

  return router;
}
