import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import cookieParser from 'cookie-parser';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Redis } from 'ioredis';
import type { Config } from '../../config';
import type { Keys } from '../../keys';
import type { Logger } from '../../logger';
import { maskEmail } from '../../logger';
import type { AlertAction, AlertStore, ControlResult } from '../../alerts/alert-store';
import { readArticle, toArticle } from '../../article';
import { followUpOf, PublishRefused, publishSchema, type EditInput, type PublishInput, type PublishResult, type editScheduled } from '../../alerts/publish';
import type { Previewer } from '../../newsroom/preview';
import type { SignupStats } from '../../subscribers/signup-stats';
import { signupStatsSection } from '../pages/embed-pages';
import { readCurve } from '../../ops/metrics-recorder';
import { normaliseAddress } from '../../subscribers/email-address';
import { pageViewer, type Access } from '../access';
import { hasScope } from '../../ops/api-keys';
import { HttpError } from '../errors';
import { requireSameOrigin } from '../same-origin';
import type { SafeHtml } from '../pages/html';
import { html } from '../pages/html';
import { leftOutSection } from '../pages/left-out-section';
import { adminLayout, alertDetail, alertOutcomesSection, alertsTable, composeForm, deliveryCurve, loginForm, previewSection, type ArticleFormValues } from '../pages/admin-pages';

export interface AdminDeps {
  config: Config;
  access: Access;
  logger: Logger;
  redis: Redis;
  keys: Keys;
  alerts: AlertStore;
  previewer: Previewer;
  publish(input: PublishInput): Promise<PublishResult>;
  editScheduled(alertId: string, patch: EditInput): ReturnType<typeof editScheduled>;
  controlAlert(alertId: string, action: AlertAction): Promise<ControlResult>;
  queues: Queue[];
  topicNames: Record<string, string>;
  /** Sign-ups per source and day (issue 12), shown under the alerts; optional. */
  signupStats?: SignupStats;
}

const ACTIVE = new Set(['queued', 'sending', 'paused']);

/** A time typed in the form: ISO 8601 with an offset; seconds may be left out (14:00+07:00). */
function formTime(v: string | undefined): string | undefined {
  const t = v?.trim();
  if (!t) return undefined;
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/i.test(t) ? t.replace(/(T\d{2}:\d{2})/, '$1:00') : t;
}

/** The last 30 days of sign-ups per source (the articles that bring readers in). */
async function signupSources(stats: SignupStats, now = Date.now()) {
  const range = { from: stats.dayOf(now - 29 * 86400_000), to: stats.dayOf(now) };
  return signupStatsSection(await stats.range(range.from, range.to), range);
}

/**
 * The newsroom's browser UI at /admin: sign in with an API key (an HttpOnly cookie, since
 * a browser cannot send a bearer header from a form), recent alerts with progress and delivery
 * curve, preview / test send / publish, pause / resume / cancel, and Bull Board at /admin/queues.
 * Every action is a plain form post, so it all works without JavaScript.
 */
export function adminRoutes(deps: AdminDeps): Router {
  const { config } = deps;
  const router = Router();
  const { session, requireScope } = deps.access;
  const viewer = requireScope('read', 'publish');
  const editor = requireScope('publish');
  const form = express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 50 });
  const schema = publishSchema(config.topics);
  // Before anything reads a cookie: a post from another origin of the same site carries the
  // editor's SameSite=Strict session (see same-origin.ts). Covers every /admin router and Bull Board.
  router.use('/admin', requireSameOrigin({ publicUrl: config.publicUrl }), cookieParser());

  const page = (res: Response, status: number, title: string, body: SafeHtml, opts: { signedIn?: boolean; refreshSeconds?: number } = {}) =>
    res
      .status(status)
      .type('html')
      .set('Cache-Control', 'no-store')
      .send(adminLayout({ title, body, signedIn: opts.signedIn ?? true, siteName: config.siteName, refreshSeconds: opts.refreshSeconds, viewer: pageViewer(res) }));

  const safeNext = (v: unknown) => (typeof v === 'string' && /^\/admin(\/[\w/.?=&%-]*)?$/.test(v) ? v : '/admin');

  router.get('/admin/login', (req, res) => page(res, 200, 'Sign in', loginForm(safeNext(req.query.next)), { signedIn: false }));

  router.post('/admin/login', form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const r = await session.signIn(req, res, body.token);
    if (!r.ok) {
      deps.logger.warn({ ip: req.ip }, 'admin sign-in with a wrong key');
      return page(res, 401, 'Sign in', loginForm(safeNext(body.next), 'That is not a valid API key (it may have been revoked).'), { signedIn: false });
    }
    deps.logger.info({ keyId: r.key.id }, 'admin sign-in');
    res.redirect(303, safeNext(body.next));
  });

  router.post('/admin/logout', async (req, res) => {
    await session.signOut(req, res);
    res.redirect(303, '/admin/login');
  });

  // Bull Board: its UI needs inline scripts, so this path gets its own Content-Security-Policy.
  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({ queues: deps.queues.map((q) => new BullMQAdapter(q, { readOnlyMode: false })), serverAdapter: board });
  const boardCsp: RequestHandler = (_req, res, next) => {
    res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'self'");
    next();
  };
  // Bull Board can retry and remove jobs: admin keys only.
  router.use('/admin/queues', requireScope('admin'), boardCsp, board.getRouter());

  const recent = async () => {
    const ids = await deps.alerts.recentIds(25);
    return (await Promise.all(ids.map((id) => deps.alerts.status(id)))).filter((s) => s !== undefined);
  };

  const dashboard = async (res: Response, status: number, values: ArticleFormValues, extra?: SafeHtml, message?: { kind: 'ok' | 'error'; text: string }) => {
    const alerts = await recent();
    const signups = deps.signupStats ? await signupSources(deps.signupStats) : '';
    // A read-only key sees the alerts; the form it could not send is replaced by a note saying why.
    const compose = hasScope(deps.access.actorOf(res), 'publish')
      ? composeForm(config.topics, deps.topicNames, values, message)
      : html`<section><p class="note">This key can follow alerts but not publish them (it has no "publish" scope).</p></section>`;
    page(res, status, 'Breaking-news alerts', html`${compose}${extra ?? ''}${alertsTable(alerts)}${signups}`, {
      // Refresh progress while something is sending, but never while the editor is typing.
      refreshSeconds: !extra && !message && !values.title && alerts.some((a) => ACTIVE.has(a.state)) ? 5 : undefined,
    });
  };

  // ?updates=<id>: the form for an update of that alert ("Update this alert" on its page).
  router.get('/admin', viewer, async (req, res) => {
    const target = typeof req.query.updates === 'string' && /^[1-9][0-9]{0,15}$/.test(req.query.updates) ? await deps.alerts.status(req.query.updates) : undefined;
    if (!target) return dashboard(res, 200, {});
    await dashboard(res, 200, { updates: target.id, updatesTitle: target.title, title: target.title, url: target.url, locale: target.locale, topics: target.topics });
  });

  const readForm = (req: Request): { values: ArticleFormValues; input?: PublishInput; error?: string } => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const topics = (Array.isArray(b.topics) ? b.topics : b.topics === undefined ? [] : [b.topics]).filter((t): t is string => typeof t === 'string');
    const values: ArticleFormValues = {
      title: str(b.title),
      url: str(b.url),
      summary: str(b.summary),
      body: str(b.body),
      locale: str(b.locale),
      topics,
      breaking: b.breaking === 'false' ? false : undefined,
      testTo: str(b.testTo),
      keep: (Array.isArray(b.keep) ? b.keep : b.keep === undefined ? [] : [b.keep]).filter((k): k is string => typeof k === 'string'),
      publishAt: str(b.publishAt),
      updates: str(b.updates),
      updatesTitle: str(b.updatesTitle),
    };
    const draft: Record<string, unknown> = { title: values.title ?? '', body: values.body ?? '', locale: values.locale, topics };
    if (values.url?.trim()) draft.url = values.url.trim();
    if (values.summary?.trim()) draft.summary = values.summary;
    if (values.breaking === false) draft.breaking = false;
    if (values.keep!.length > 0) draft.keep = values.keep;
    if (formTime(values.publishAt)) draft.publishAt = formTime(values.publishAt);
    if (values.updates?.trim()) draft.updates = values.updates.trim();
    const parsed = schema.safeParse(draft);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      return { values, error: `${i.path.join('.') || 'article'}: ${i.message}` };
    }
    return { values, input: parsed.data };
  };

  router.post('/admin/preview', editor, form, async (req, res) => {
    const { values, input, error } = readForm(req);
    if (!input) return dashboard(res, 400, values, undefined, { kind: 'error', text: error! });
    const { publishAt: _at, updates, ...articleInput } = input;
    const { article, leftOut } = readArticle(articleInput, config.defaultLocale, config.articleBoilerplate);
    let update: { subject: string } | undefined;
    try {
      update = updates ? { subject: (await followUpOf(deps.alerts, updates)).subject } : undefined;
    } catch (err) {
      if (err instanceof PublishRefused) return dashboard(res, 400, values, undefined, { kind: 'error', text: err.message });
      throw err;
    }
    const preview = await deps.previewer.preview(article, update);
    await dashboard(res, 200, values, html`${leftOutSection(leftOut, 'compose')}${previewSection(preview)}`);
  });

  router.post('/admin/test-send', editor, form, async (req, res) => {
    const { values, input, error } = readForm(req);
    if (!input) return dashboard(res, 400, values, undefined, { kind: 'error', text: error! });
    const to = normaliseAddress(values.testTo ?? '');
    if (!to.ok) return dashboard(res, 400, values, undefined, { kind: 'error', text: `Test address: ${to.reason}` });
    const article = toArticle(input, config.defaultLocale, config.articleBoilerplate);
    try {
      await deps.previewer.testSend(article, article.locale, to.address);
    } catch (err) {
      deps.logger.warn({ to: maskEmail(to.address), err: (err as Error).message }, 'admin test send failed');
      return dashboard(res, 502, values, undefined, { kind: 'error', text: `The mail server did not accept the test copy: ${(err as Error).message.slice(0, 200)}` });
    }
    await deps.access.record(req, res, 'alert.test_send', { to: maskEmail(to.address) });
    await dashboard(res, 200, values, undefined, { kind: 'ok', text: `Test copy sent to ${to.address}.` });
  });

  router.post('/admin/publish', editor, form, async (req, res) => {
    const { values, input, error } = readForm(req);
    if (!input) return dashboard(res, 400, values, undefined, { kind: 'error', text: error! });
    let r: PublishResult;
    try {
      r = await deps.publish(input);
    } catch (err) {
      if (err instanceof PublishRefused) return dashboard(res, err.code === 'update_target_not_found' ? 422 : 400, values, undefined, { kind: 'error', text: err.message });
      throw err;
    }
    if (r.created) await deps.access.record(req, res, r.publishAt ? 'alert.schedule' : 'alert.publish', { alertId: r.alertId });
    deps.logger.info({ alertId: r.alertId, created: r.created, publishAt: r.publishAt }, 'published from /admin');
    res.redirect(303, `/admin/alerts/${r.alertId}${r.created ? '' : '?duplicate=1'}`);
  });

  const alertId = (v: unknown) => {
    const id = String(v);
    if (!/^[1-9][0-9]{0,15}$/.test(id)) throw new HttpError(404, 'alert_not_found', 'No such alert.');
    return id;
  };

  const alertPage = async (res: Response, httpStatus: number, id: string, note: SafeHtml | string) => {
    const status = await deps.alerts.status(id);
    if (!status) throw new HttpError(404, 'alert_not_found', 'No such alert.');
    const [curve, p90] = await Promise.all([readCurve(deps.redis, deps.keys, id), deps.redis.hget(deps.keys.alert(id), 'p90Seconds')]);
    page(
      res,
      httpStatus,
      `Alert ${id}`,
      html`${note}${alertDetail({ ...status, p90Seconds: p90 ? Number(p90) : undefined }, deliveryCurve(curve, Date.parse(status.createdAt), status.total, !ACTIVE.has(status.state)))}${alertOutcomesSection(status, config.clickTracking)}`,
      { refreshSeconds: ACTIVE.has(status.state) ? 3 : undefined },
    );
  };

  router.get('/admin/alerts/:id', viewer, async (req, res) => {
    const id = alertId(req.params.id);
    await alertPage(res, 200, id, req.query.duplicate ? html`<p class="ok" role="status">This article was already published as alert ${id}; nothing was sent again.</p>` : '');
  });

  // Moves a scheduled alert to another time (the rest of it is edited through PATCH /api/alerts/:id).
  router.post('/admin/alerts/:id/reschedule', editor, form, async (req, res) => {
    const id = alertId(req.params.id);
    const at = formTime(String((req.body as Record<string, unknown> | undefined)?.publishAt ?? ''));
    const parsed = schema.shape.publishAt.safeParse(at);
    let problem: string | undefined = !at || !parsed.success ? 'Send at: give a time such as 2026-12-02T14:00+07:00.' : undefined;
    if (!problem) {
      try {
        const r = await deps.editScheduled(id, { publishAt: at });
        if (r === 'not_found') throw new HttpError(404, 'alert_not_found', 'No such alert.');
        if (r !== 'changed') problem = `A ${r.conflict} alert cannot be rescheduled.`;
        else await deps.access.record(req, res, 'alert.edit', { alertId: id, fields: 'publishAt' });
      } catch (err) {
        if (!(err instanceof PublishRefused)) throw err;
        problem = err.message;
      }
    }
    deps.logger.info({ alertId: id, publishAt: at, ok: !problem }, 'alert rescheduled from /admin');
    if (problem) return alertPage(res, 400, id, html`<p class="error" role="alert">${problem}</p>`);
    res.redirect(303, `/admin/alerts/${id}`);
  });

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    router.post(`/admin/alerts/:id/${action}`, editor, async (req, res) => {
      const id = alertId(req.params.id);
      const r = await deps.controlAlert(id, action);
      if (!r.ok && r.reason === 'not_found') throw new HttpError(404, 'alert_not_found', 'No such alert.');
      if (r.ok && r.changed) await deps.access.record(req, res, `alert.${action}`, { alertId: id });
      deps.logger.info({ alertId: id, action, ok: r.ok }, 'alert control from /admin');
      res.redirect(303, `/admin/alerts/${id}`);
    });
  }

  return router;
}
