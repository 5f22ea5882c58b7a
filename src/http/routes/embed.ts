import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Locale } from '../../config';
import { isLocale } from '../../i18n';
import { templatesDir } from '../../paths';
import type { SignupChallenge } from '../../subscribers/signup-challenge';
import type { SignupStats } from '../../subscribers/signup-stats';
import type { AppDeps } from '../app';
import { dayRange } from '../day-range';
import { embedColours } from '../embed-colours';
import type { EmbedOrigins } from '../embed-origins';
import { HttpError } from '../errors';
import { layout, messageBody } from '../pages/pages';
import { EMBED_STRINGS, embedFrameForm, embedFrameLayout, embedFrameMessage, embedScriptStrings } from '../pages/embed-pages';
import type { SignupIntake } from '../signup-intake';
import { JSON_LIMIT } from './api';

export interface EmbedDeps {
  /** Per-source, per-day sign-up counters (GET /api/stats/signups). */
  stats: SignupStats;
  /** Present when SIGNUP_CHALLENGE=altcha. */
  challenge?: SignupChallenge;
}

/**
 * The embeddable sign-up (issue 12): the plain form posting cross-origin to /subscribe, the framable
 * /embed page, /embed.js, CORS for the JSON sign-up API, the challenge, and the per-source stats.
 * Mounted before the page and API routes; a same-origin form post passes on to the page routes.
 */
export function embedRoutes(deps: AppDeps, o: { origins: EmbedOrigins; intake: SignupIntake; requireRedis: RequestHandler }): Router {
  const { config, catalog } = deps;
  const { origins, intake, requireRedis } = o;
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 });
  const json = express.json({ limit: JSON_LIMIT, strict: true });
  const challenge = deps.embed?.challenge;

  // --- CORS for the JSON sign-up (and the challenge it may need): EMBED_ORIGINS only ----------
  const cors: RequestHandler = (req, res, next) => {
    res.vary('Origin');
    const origin = req.get('origin');
    if (origin === undefined || origin === origins.self) return next();
    if (!origins.isAllowed(origin)) {
      // No CORS headers: the browser refuses to hand the answer to the page.
      return next(new HttpError(403, 'origin_not_allowed', 'This origin may not use the sign-up API (EMBED_ORIGINS).'));
    }
    res.set({ 'Access-Control-Allow-Origin': origin, 'Cross-Origin-Resource-Policy': 'cross-origin' });
    next();
  };
  const preflight: RequestHandler = (req, res, next) => {
    cors(req, res, (err?: unknown) => {
      if (err) return next(err);
      res.set({ 'Access-Control-Allow-Methods': req.path.endsWith('challenge') ? 'GET' : 'POST', 'Access-Control-Allow-Headers': 'Content-Type', 'Access-Control-Max-Age': '600' });
      res.status(204).end();
    });
  };
  router.options('/api/subscriptions', preflight);
  router.options('/api/signup-challenge', preflight);
  router.use('/api/subscriptions', cors);

  router.get('/api/signup-challenge', cors, async (_req, res) => {
    if (!challenge) throw new HttpError(404, 'challenge_off', 'Sign-ups need no challenge here (SIGNUP_CHALLENGE is off).');
    res.set('Cache-Control', 'no-store').json(await challenge.create());
  });

  // --- /embed.js: built once with the catalog's words in it ------------------------------------
  const template = fs.readFileSync(path.join(templatesDir, 'embed', 'embed.js'), 'utf8');
  if (!template.includes('var C = KILAT_CONFIG;')) throw new Error('templates/embed/embed.js lost its KILAT_CONFIG slot');
  const scriptSource = template.replace('KILAT_CONFIG;', () => JSON.stringify({ strings: embedScriptStrings(catalog), defaultLocale: config.defaultLocale, challenge: Boolean(challenge) }).replace(/</g, '\\u003c') + ';');
  router.get('/embed.js', (_req, res) => {
    res
      .set({ 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=300', 'Cross-Origin-Resource-Policy': 'cross-origin' })
      .send(scriptSource);
  });

  // --- the framable page -------------------------------------------------------------------------
  // Framable by EMBED_ORIGINS (and Kilat itself, for the /admin preview); nobody else.
  const frameCsp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
    `frame-ancestors 'self' ${origins.allowed.join(' ')}`.trim(),
  ].join('; ');

  const frameQuery = (q: Record<string, unknown>) => {
    const locale: Locale = isLocale(q.lang) ? q.lang : config.defaultLocale;
    const topics = typeof q.topics === 'string' ? [...new Set(q.topics.split(','))].filter((t) => config.topics.includes(t)) : [];
    const colours = embedColours({ accent: q.accent, bg: q.bg, text: q.text });
    const keep = new URLSearchParams();
    for (const k of ['accent', 'bg', 'text'] as const) if (typeof q[k] === 'string' && /^#?[0-9a-fA-F]{3,6}$/.test(q[k])) keep.set(k, q[k]);
    keep.set('lang', locale);
    const source = origins.pageUrl(q.source, { selfToo: true });
    return { locale, topics, colours, colourQuery: keep.toString(), source };
  };

  const frame = (res: Response, status: number, q: ReturnType<typeof frameQuery>, title: string, body: Parameters<typeof embedFrameLayout>[0]['body']) => {
    res.removeHeader('X-Frame-Options');
    // same-origin: the frame's own form post then carries its Origin (under no-referrer it is "null").
    res.set({ 'Content-Security-Policy': frameCsp, 'Cache-Control': 'no-store', 'Referrer-Policy': 'same-origin' });
    res.status(status).type('html').send(embedFrameLayout({ locale: q.locale, title, colours: q.colours, body, script: true }));
  };

  router.get('/embed', (req, res) => {
    const q = frameQuery(req.query as Record<string, unknown>);
    const s = catalog[q.locale];
    frame(res, 200, q, s.page.title!, embedFrameForm(s, { ...q, challenge: Boolean(challenge) }));
  });

  // The frame's own form: same-origin (the frame is Kilat's page), so it needs no CSRF cookie,
  // which a cross-site frame would not get anyway. The Origin check stands in for it.
  router.post('/embed', form, requireRedis, async (req, res) => {
    const q = frameQuery({ ...(req.query as Record<string, unknown>), lang: (req.body as Record<string, unknown> | undefined)?.locale });
    const from = origins.of(req);
    if (from !== origins.self && !origins.isAllowed(from)) throw new HttpError(403, 'origin_not_allowed', EMBED_STRINGS[q.locale].originRefused);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const result = await intake(req, body, 'iframe', { form: true });
    const s = catalog[result.locale];
    if (!result.ok) {
      return frame(res, result.status, q, s.page.title!, embedFrameForm(s, { ...q, email: result.email, topics: result.topics, source: q.source ?? origins.pageUrl(body.source), challenge: Boolean(challenge) }, result.message));
    }
    frame(res, 200, q, s.page.checkInboxTitle!, embedFrameMessage(s.page.checkInboxTitle!, s.page.checkInbox!));
  });

  // --- the plain HTML form on the news site: a cross-origin POST /subscribe --------------------
  const fullPage = (res: Response, status: number, locale: Locale, title: string, text: string, back?: string) =>
    res
      .status(status)
      .type('html')
      .send(layout({ locale, strings: catalog[locale], siteName: config.siteName, title, body: messageBody(text, back ? { href: back, label: EMBED_STRINGS[locale].backToArticle } : undefined) }));

  router.post('/subscribe', form, async (req, res, next) => {
    const from = origins.of(req);
    // Kilat's own page (or a request that names no origin) keeps the CSRF-checked page route.
    if (from === undefined || from === origins.self) return next();
    const body = (req.body ?? {}) as Record<string, unknown>;
    const locale: Locale = isLocale(body.locale) ? body.locale : config.defaultLocale;
    const e = EMBED_STRINGS[locale];
    // Another site: the page route's CSRF check refuses it with its readable 403 page.
    if (!origins.isAllowed(from)) return next();
    let redirect: string | undefined;
    if (body.redirect !== undefined && body.redirect !== '') {
      redirect = origins.pageUrl(body.redirect, { keepHash: true });
      if (!redirect) return fullPage(res, 400, locale, catalog[locale].page.errorTitle!, e.redirectRefused);
    }
    if (deps.redis.status !== 'ready') return requireRedis(req, res, next);
    const result = await intake(req, body, 'form', { form: true });
    const s = catalog[result.locale];
    const back = origins.pageUrl(body.source) ?? origins.pageUrl(req.get('referer'));
    if (!result.ok) return fullPage(res, result.status, result.locale, s.page.errorTitle!, result.message, back);
    if (redirect) return res.redirect(303, redirect);
    fullPage(res, 200, result.locale, s.page.checkInboxTitle!, s.page.checkInbox!, back);
  });

  // --- GET /api/stats/signups?from=&to= ----------------------------------------------------------
  router.get('/api/stats/signups', deps.access.requireScope('read'), requireRedis, async (req, res) => {
    if (!deps.embed) throw new HttpError(404, 'not_found', 'No route for GET /api/stats/signups');
    const range = statsRange(req, deps.embed.stats);
    res.json({ ...range, timeZone: config.timeZone, rows: await deps.embed.stats.range(range.from, range.to) });
  });

  return router;
}

/** `from`/`to` (YYYY-MM-DD, inclusive, TIME_ZONE days) of a sign-up stats request; the last 30 days by default. */
export function statsRange(req: Request, stats: SignupStats, now = Date.now()): { from: string; to: string } {
  return dayRange(req.query, { today: stats.dayOf(now), defaultDays: 30 });
}
