import type { Server } from 'node:http';
import type { Express } from 'express';
import type { AddressInfo } from 'node:net';
import type { ResolvedConfig } from './config';
import { createCore, createMailing, type Core } from './core';
import { waitForRedis } from './redis';
import type { Logger } from './logger';
import { createApp } from './http/app';
import { adminRoutes } from './http/routes/admin';
import { adminEmbedRoutes } from './http/routes/admin-embed';
import { adminKeysRoutes } from './http/routes/admin-keys';
import { createAccess } from './http/access';
import { createAdminSession } from './http/admin-session';
import { adminSubscribersRoutes } from './http/routes/admin-subscribers';
import { createSignupLimits } from './http/rate-limits';
import { outboxDir } from './mail/create-transport';
import { createPreviewer } from './newsroom/preview';
import { createMetricsRegistry } from './ops/metrics';
import { METRIC_FIELDS } from './ops/metrics-recorder';
import { BounceHandler } from './subscribers/bounce-handler';
import { SubscriptionService } from './subscribers/subscription-service';

export interface ApiServer {
  core: Core;
  /** The express app (tests walk its routes). */
  app: Express;
  server: Server;
  /** The port it listens on (useful with PORT=0). */
  port: number;
  close(): Promise<void>;
}

/** Wires the API process: one place that builds every dependency and hands them to the app. */
export async function startApi(config: ResolvedConfig, logger: Logger): Promise<ApiServer> {
  const core = createCore({ config, logger, role: 'api' });
  // Answer from the first request on; if Redis is not there yet, start anyway and answer 503 until it is.
  await waitForRedis(core.redis, 10_000).catch(() => logger.warn('redis not reachable yet; answering 503 until it is'));
  const { catalog, publish } = core;
  // The API renders previews and sends single test copies itself; alerts go through the workers.
  const { transport, mailer } = createMailing(core);
  const metrics = createMetricsRegistry({ redis: core.redis, keys: core.keys, queues: core.queues.all(), redisFailovers: () => core.redisWatch.failovers });
  const previewer = createPreviewer({ mailer, publicUrl: config.publicUrl });
  // One session store and one key check for every protected route (API, /admin, Bull Board).
  const session = createAdminSession({ redis: core.redis, keys: core.keys, apiKeys: core.apiKeys, secure: config.publicUrl.startsWith('https:') });
  const access = createAccess({ apiKeys: core.apiKeys, session, audit: core.audit });
  const app = createApp({
    config,
    access,
    apiKeys: core.apiKeys,
    audit: core.audit,
    logger,
    redis: core.redis,
    catalog,
    alerts: core.alerts,
    durable: core.durable,
    subscriptions: new SubscriptionService({
      subscribers: core.subscribers,
      signer: core.signer,
      queues: core.queues,
      events: core.webhooks,
      dataRights: core.dataRights,
      attribution: core.signups.attribution,
      alertOutcomes: core.alerts.outcomes,
    }),
    bounces: new BounceHandler({
      subscribers: core.subscribers,
      hasher: core.hasher,
      tags: core.tags,
      softBounceLimit: config.softBounceLimit,
      logger,
      countUnmatched: async (n) => void (await core.redis.hincrby(core.keys.metrics(), METRIC_FIELDS.bouncesUnmatched, n)),
      alertOutcomes: core.alerts.outcomes,
    }),
    publish,
    editScheduled: core.editScheduled,
    controlAlert: core.controlAlert,
    outboxDir: config.smtpUrl ? undefined : outboxDir(config),
    signupLimits: createSignupLimits({
      redis: core.redis,
      keyPrefix: core.keys.rateLimit,
      perIpPerHour: config.signupLimitPerIp,
      perAddressPerDay: config.confirmLimitPerAddress,
      addressSubject: (email) => core.hasher.counterSubject(email),
    }),
    previewer,
    metrics,
    digestPrefs: core.digestPrefs,
    embed: { stats: core.signups.stats, challenge: core.signups.challenge },
    signer: core.signer,
    audience: { stats: core.audience, subscribers: core.subscriberAdmin },
    // adminRoutes first: its cross-origin guard (same-origin.ts) runs for every /admin router after it.
    extraRoutes: [
      adminRoutes({
        config,
        access,
        logger,
        redis: core.redis,
        keys: core.keys,
        alerts: core.alerts,
        previewer,
        publish,
        editScheduled: core.editScheduled,
        controlAlert: core.controlAlert,
        queues: core.queues.all(),
        topicNames: catalog.en.page.topics,
        signupStats: core.signups.stats,
      }),
      adminEmbedRoutes({ config, access, redis: core.redis, keys: core.keys, catalog }),
      adminKeysRoutes({ config, logger, access, apiKeys: core.apiKeys, audit: core.audit }),
      adminSubscribersRoutes({ config, logger, access, audience: { stats: core.audience, subscribers: core.subscriberAdmin }, topicNames: catalog.en.page.topics }),
    ],
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: config.host }, 'api listening');
  return {
    core,
    app,
    server,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await transport.close();
      await core.close();
    },
  };
}
