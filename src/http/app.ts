import express, { type ErrorRequestHandler, type RequestHandler, type Router } from 'express';
import type { Registry } from 'prom-client';
import type { Previewer } from '../newsroom/preview';
import type { DigestPreferences } from '../subscribers/digest-preferences';
import { apiSchemas } from './api-schemas';
import type { Access } from './access';
import type { ApiKeys } from '../ops/api-keys';
import type { AuditLog } from '../ops/audit-log';
import { keysApiRoutes } from './routes/keys-api';
import { buildOpenApi } from './openapi';
import { newsroomApiRoutes } from './routes/newsroom-api';
import { opsRoutes } from './routes/ops';
import helmet from 'helmet';
import type { Config, Locale } from '../config';
import type { Catalog } from '../i18n';
import type { Logger } from '../logger';
import type { Redis } from '../redis';
import { isRedisUnavailable, type DurableWrites } from '../durable-writes';
import type { AlertAction, AlertStore, ControlResult } from '../alerts/alert-store';
import type { EditInput, PublishInput, PublishResult, editScheduled } from '../alerts/publish';
import type { ArticleInput } from '../article';
import type { BounceHandler } from '../subscribers/bounce-handler';
import type { SubscriptionService } from '../subscribers/subscription-service';
import { errorBody, HttpError, toHttpError } from './errors';
import { layout, messageBody } from './pages/pages';
import { apiRoutes } from './routes/api';
import { healthRoutes } from './routes/health';
import { pageRoutes } from './routes/pages';
import { devOutboxRoutes } from './routes/dev-outbox';
import type { SignupLimits } from './rate-limits';
import { bounceWebhookRoutes } from './routes/bounce-webhook';
import { clickRedirectRoutes } from './routes/click-redirect';
import type { TokenSigner } from '../subscribers/tokens';
import { createEmbedOrigins } from './embed-origins';
import { embedRoutes, type EmbedDeps } from './routes/embed';
import { createSignupIntake } from './signup-intake';
import { audienceApiRoutes, type AudienceDeps } from './routes/audience-api';

export interface AppDeps {
  config: Config;
  /** API keys, scopes and the audit log (requireScope in front of every protected route). */
  access: Access;
  apiKeys: ApiKeys;
  audit: AuditLog;
  logger: Logger;
  redis: Redis;
  catalog: Catalog;
  subscriptions: SubscriptionService;
  /**
   * Retries the writes of what a reader already did (a confirmation click, an unsubscribe) through a
   * Redis failover or restart, up to REDIS_FAILOVER_WAIT_MS, instead of answering 503 at once: a mail
   * client's one-click unsubscribe is posted once and not sent again. Absent: 503 at once.
   */
  durable?: DurableWrites;
  /** Applies bounce and complaint reports (POST /api/webhooks/bounces). */
  bounces?: BounceHandler;
  alerts: AlertStore;
  publish(input: PublishInput): Promise<PublishResult>;
  /** Edits a scheduled alert (PATCH /api/alerts/:id). */
  editScheduled(alertId: string, patch: EditInput): ReturnType<typeof editScheduled>;
  /** Pause, resume, cancel (POST /api/alerts/:id/…); a cancel also drops a scheduled alert's delayed job. */
  controlAlert(alertId: string, action: AlertAction): Promise<ControlResult>;
  /** Set in development when mail goes to the outbox instead of SMTP. */
  outboxDir?: string;
  /** Sign-up abuse limits (per IP, per address); absent means none. */
  signupLimits?: SignupLimits;
  /** Renders previews and sends test copies (POST /api/articles/preview, /test-send, /admin). */
  previewer?: Previewer;
  /** Prometheus registry served at GET /metrics. */
  metrics?: Registry;
  /** Daily digest or every alert, per subscriber (the preferences page offers the choice). */
  digestPrefs?: DigestPreferences;
  /** Extra routers mounted before the 404 handler (the admin pages and Bull Board). */
  extraRoutes?: Router[];
  /** The embeddable sign-up's stats and challenge (issue 12); absent: no stats route, no challenge. */
  embed?: EmbedDeps;
  /** Verifies the tracked "Read more" links (GET /r/<token>); absent: no such route. */
  signer?: TokenSigner;
  /** The audience counters and the subscriber lookup (/api/stats/audience, /api/subscribers/…); optional. */
  audience?: AudienceDeps;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.trustProxy);
  app.use(helmet());

  // A request that needs Redis gets a quick 503 while it is down instead of waiting on a timeout.
  const requireRedis: RequestHandler = (_req, _res, next) => {
    if (deps.redis.status !== 'ready') {
      next(new HttpError(503, 'service_unavailable', 'The service is temporarily unavailable; try again shortly.', { 'Retry-After': '5' }));
    } else next();
  };

  const schemas = apiSchemas(deps.config.topics);
  app.use(healthRoutes(deps));
  app.use(opsRoutes({ metrics: deps.metrics, openapi: () => buildOpenApi(deps.config, schemas), metricsToken: deps.config.metricsToken }));
  // Every sign-up path (own page, embeds, JSON API) goes through one intake; embeds mount first.
  const origins = createEmbedOrigins(deps.config);
  const intake = createSignupIntake({ ...deps, challenge: deps.embed?.challenge, origins });
  app.use(embedRoutes(deps, { origins, intake, requireRedis }));
  // Before the pages: a redirect sets no CSRF cookie.
  if (deps.signer) app.use(clickRedirectRoutes({ ...deps, signer: deps.signer }, requireRedis));
  app.use(pageRoutes(deps, requireRedis, intake));
  app.use('/api', newsroomApiRoutes(deps, schemas));
  app.use('/api/webhooks', bounceWebhookRoutes(deps, requireRedis));
  app.use('/api', keysApiRoutes(deps, schemas, requireRedis));
  if (deps.audience) app.use('/api', audienceApiRoutes({ audience: deps.audience, logger: deps.logger, access: deps.access }, schemas, requireRedis));
  app.use('/api', apiRoutes(deps, requireRedis, intake));
  for (const r of deps.extraRoutes ?? []) app.use(r);
  if (deps.outboxDir) app.use(devOutboxRoutes(deps.outboxDir));

  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}`)));

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    let e = toHttpError(err);
    // A command that failed because Redis is away is a 503 even while the connection still says
    // "ready": between the socket ending and ioredis noticing, or when a failover demoted the master
    // under an open connection (READONLY, MASTERDOWN), the status has not caught up yet.
    if (e.status === 500 && (deps.redis.status !== 'ready' || isRedisUnavailable(err))) {
      e = new HttpError(503, 'service_unavailable', 'The service is temporarily unavailable; try again shortly.', { 'Retry-After': '5' });
    }
    if (e.status >= 500) deps.logger.error({ err, path: req.path, method: req.method }, 'request failed');
    if (res.headersSent) return;
    res.set(e.headers);
    if (req.path.startsWith('/api/') || req.path === '/api' || !req.accepts('html')) {
      res.status(e.status).json(errorBody(e.code, e.message));
      return;
    }
    const locale: Locale = deps.config.defaultLocale;
    const s = deps.catalog[locale];
    res
      .status(e.status)
      .type('html')
      .send(layout({ locale, strings: s, siteName: deps.config.siteName, title: s.page.errorTitle, body: messageBody(e.message, { href: '/', label: s.page.back }) }));
  };
  app.use(onError);
  return app;
}
