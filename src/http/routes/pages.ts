import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { LOCALES, type Locale } from '../../config';
import { isLocale } from '../../i18n';
import type { Subscriber } from '../../subscribers/subscriber-store';
import type { TokenFailure } from '../../subscribers/subscription-service';
import { errorBody, HttpError } from '../errors';
import type { AppDeps } from '../app';
import { deleteConfirmForm, layout, messageBody, preferencesForm, signupForm, unsubscribeForm } from '../pages/pages';
import type { SafeHtml } from '../pages/html';
import { FREQUENCIES, type Frequency } from '../../subscribers/digest-preferences';
import { createCsrf } from '../csrf';
import type { SignupIntake } from '../signup-intake';

const FORM_LIMIT = '16kb';

/** Browser routes: every answer is a readable page in the reader's language. */
export function pageRoutes(deps: AppDeps, requireRedis: RequestHandler, intake: SignupIntake): Router {
  const { config, catalog } = deps;
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: FORM_LIMIT, parameterLimit: 50 });

  const challenge = config.signupChallenge === 'altcha';
  const csrf = createCsrf({ secretKey: config.secretKey, secure: config.publicUrl.startsWith('https:') });
  router.use(csrf.cookies);

  // Every page with a form carries the CSRF field (and sets its cookie).
  const page = (res: Response, status: number, locale: Locale, title: string, body: SafeHtml, switchHref?: string) =>
    res
      .status(status)
      .type('html')
      .send(csrf.addToForms(res.req, res, layout({ locale, strings: catalog[locale], siteName: config.siteName, title, body, switchHref })));

  /**
   * A link that cannot be used: a page saying why in the reader's language, or `{error}` JSON for a
   * client that asked for JSON. Nothing has been changed when this is called.
   */
  const linkFailure = (req: Request, res: Response, code: TokenFailure | 'token_stale') => {
    // A failed link names no subscriber to take the language from: ?lang=, then the browser's.
    const accepted = req.acceptsLanguages(...LOCALES);
    const locale = isLocale(req.query.lang) ? req.query.lang : isLocale(accepted) ? accepted : config.defaultLocale;
    const p = catalog[locale].page;
    // Always 400 (the link as sent cannot be used); the page and the JSON code say which failure it was.
    const status = 400;
    const [title, text] =
      code === 'token_expired'
        ? [p.expiredLinkTitle, p.expiredLink]
        : code === 'token_stale'
          ? [p.staleLinkTitle, p.staleLink]
          : code === 'not_found'
            ? [p.goneLinkTitle, p.goneLink]
            : [p.invalidLinkTitle, p.invalidLink];
    if (req.accepts(['html', 'json']) === 'json') return void res.status(status).json(errorBody(code, text));
    page(res, status, locale, title, messageBody(text, { href: '/', label: p.back }));
  };

  const pageLocale = (req: Request): Locale => {
    const lang = req.query.lang;
    return isLocale(lang) ? lang : config.defaultLocale;
  };

  router.get('/', (req, res) => {
    const locale = pageLocale(req);
    const other = locale === 'id' ? 'en' : 'id';
    page(res, 200, locale, catalog[locale].page.title, signupForm(catalog[locale], config.topics, { locale, topics: [] }, undefined, challenge), `/?lang=${other}`);
  });

  router.post('/subscribe', form, requireRedis, async (req, res) => {
    csrf.verify(req);
    const r = await intake(req, (req.body ?? {}) as Record<string, unknown>, 'page', { form: true });
    const s = catalog[r.locale];
    if (!r.ok) {
      page(res, r.status, r.locale, s.page.title, signupForm(s, config.topics, { email: r.email, locale: r.locale, topics: r.topics }, r.message, challenge));
      return;
    }
    page(res, 200, r.locale, s.page.checkInboxTitle, messageBody(s.page.checkInbox));
  });

  // What the reader did happened: the confirmation and the unsubscribe below wait out a Redis
  // failover or restart (bounded) rather than answer 503 (app.ts, AppDeps.durable). Both are
  // idempotent, so a try whose reply was lost does no harm when it runs again.
  const recorded = <T>(what: string, write: () => Promise<T>): Promise<T> =>
    deps.durable ? deps.durable.run(what, {}, write, { maxWaitMs: config.redisFailoverWaitMs }) : write();

  router.get('/confirm', async (req, res) => {
    const result = await recorded('confirmation click', () => deps.subscriptions.confirm(req.query.token));
    if (!result.ok) return linkFailure(req, res, result.code);
    const locale = result.subscriber.locale;
    const p = catalog[locale].page;
    page(res, 200, locale, p.confirmedTitle, messageBody(result.already ? p.alreadyConfirmed : p.confirmed));
  });

  const unsubscribeAction = (req: Request) => `/unsubscribe?token=${encodeURIComponent(String(req.query.token))}`;
  const preferencesAction = (req: Request) => `/preferences?token=${encodeURIComponent(String(req.query.token))}`;

  // GET shows a button and changes nothing: mail scanners and link previews follow links.
  router.get('/unsubscribe', requireRedis, async (req, res) => {
    const found = await deps.subscriptions.lookup(req.query.token, 'unsubscribe');
    if (!found.ok) return linkFailure(req, res, found.code);
    const sub = found.subscriber;
    const p = catalog[sub.locale].page;
    if (sub.status === 'unsubscribed') return page(res, 200, sub.locale, p.unsubscribedTitle, messageBody(p.unsubscribed));
    page(res, 200, sub.locale, p.unsubscribeTitle, unsubscribeForm(catalog[sub.locale], unsubscribeAction(req), sub.email));
  });

  // One-click (RFC 8058): a POST with the token unsubscribes at once, no cookie or CSRF token needed.
  // Our own pages' buttons post here too and say which they are (`via`); a mail client's one-click does not.
  router.post('/unsubscribe', form, async (req, res) => {
    const via = (req.body as Record<string, unknown> | undefined)?.via;
    const result = await recorded('unsubscribe', () => deps.subscriptions.unsubscribe(req.query.token, 'unsubscribe', via === 'footer' || via === 'preferences' ? via : 'one-click'));
    if (!result.ok) return linkFailure(req, res, result.code);
    const p = catalog[result.subscriber.locale].page;
    page(res, 200, result.subscriber.locale, p.unsubscribedTitle, messageBody(p.unsubscribed));
  });

  const showPreferences = async (req: Request, res: Response, sub: Subscriber, saved: boolean | string, alertId?: string) => {
    const s = catalog[sub.locale];
    const frequency = deps.digestPrefs ? await deps.digestPrefs.get(sub.id) : undefined;
    page(
      res,
      200,
      sub.locale,
      s.page.preferencesTitle,
      preferencesForm(s, config.topics, {
        action: preferencesAction(req),
        unsubscribeAction: `/unsubscribe?token=${encodeURIComponent(deps.subscriptions.unsubscribeToken(sub.id, alertId))}`,
        email: sub.email,
        status: sub.status,
        locale: sub.locale,
        selected: sub.topics,
        saved: saved === true ? s.page.preferencesSaved : saved === false ? undefined : saved,
        frequency,
      }),
    );
  };

  router.get('/preferences', requireRedis, async (req, res) => {
    const found = await deps.subscriptions.lookup(req.query.token, 'preferences');
    if (!found.ok) return linkFailure(req, res, found.code);
    await showPreferences(req, res, found.subscriber, false, found.alertId);
  });

  // One form per action on the preferences page; `action` says which. Each re-checks the token.
  router.post('/preferences', form, requireRedis, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = req.query.token;
    // A link that cannot be used says so (400) before the form's CSRF token is looked at.
    const link = await deps.subscriptions.lookup(token, 'preferences');
    if (!link.ok) return linkFailure(req, res, link.code);
    csrf.verify(req);
    const action = typeof body.action === 'string' ? body.action : 'save';
    switch (action) {
      case 'pause':
      case 'resume': {
        const r = action === 'pause' ? await deps.subscriptions.pause(token) : await deps.subscriptions.resume(token);
        if (!r.ok) return linkFailure(req, res, r.code);
        const p = catalog[r.subscriber.locale].page;
        return showPreferences(req, res, r.subscriber, action === 'pause' ? p.pausedNotice : p.resumedNotice, link.alertId);
      }
      case 'unsubscribe': {
        const r = await deps.subscriptions.unsubscribe(token, 'preferences');
        if (!r.ok) return linkFailure(req, res, r.code);
        const p = catalog[r.subscriber.locale].page;
        return page(res, 200, r.subscriber.locale, p.unsubscribedTitle, messageBody(p.unsubscribed));
      }
      case 'export': {
        const r = await deps.subscriptions.exportData(token);
        if (!r.ok) return linkFailure(req, res, r.code);
        res.set('Cache-Control', 'no-store');
        res.attachment('kilat-subscription.json');
        return void res.type('application/json').send(JSON.stringify(r.data, null, 2));
      }
      case 'delete': {
        // First press: ask. Only the second form (confirm=yes) deletes.
        const found = await deps.subscriptions.lookup(token, 'preferences');
        if (!found.ok) return linkFailure(req, res, found.code);
        const s = catalog[found.subscriber.locale];
        if (body.confirm !== 'yes') {
          return page(res, 200, found.subscriber.locale, s.page.deleteTitle, deleteConfirmForm(s, preferencesAction(req), found.subscriber.email));
        }
        const r = await deps.subscriptions.deleteData(token);
        if (!r.ok) return linkFailure(req, res, r.code);
        return page(res, 200, found.subscriber.locale, s.page.deletedTitle, messageBody(s.page.deleted, { href: '/', label: s.page.back }));
      }
      case 'save':
        break;
      default:
        throw new HttpError(400, 'unknown_action', 'This form action is not known.');
    }
    const found = await deps.subscriptions.lookup(token, 'preferences');
    if (!found.ok) return linkFailure(req, res, found.code);
    const topics = (body.topics === undefined ? [] : Array.isArray(body.topics) ? body.topics : [body.topics]).filter(
      (t): t is string => typeof t === 'string' && config.topics.includes(t),
    );
    const locale = isLocale(body.locale) ? body.locale : found.subscriber.locale;
    const updated = await deps.subscriptions.updatePreferences(token, { locale, topics: [...new Set(topics)] });
    if (!updated.ok) return linkFailure(req, res, updated.code);
    if (deps.digestPrefs && (FREQUENCIES as readonly unknown[]).includes(body.frequency)) {
      await deps.digestPrefs.set(updated.subscriber.id, body.frequency as Frequency);
    }
    await showPreferences(req, res, updated.subscriber, true, link.alertId);
  });

  return router;
}
