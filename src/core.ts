import type { ResolvedConfig } from './config';
import { loadCatalog, type Catalog } from './i18n';
import { createKeys, type Keys } from './keys';
import type { Logger } from './logger';
import { createQueues, type Queues } from './queues';
import { createRedis, type Redis, type RedisRole } from './redis';
import { createDurableWrites, type DurableWrites } from './durable-writes';
import { watchRedis, type RedisWatch } from './redis-watch';
import { createReplicaConfirm } from './redis-replicas';
import type { ArticleInput } from './article';
import { AlertStore } from './alerts/alert-store';
import { controlAlert } from './alerts/control-alert';
import type { AlertAction, ControlResult } from './alerts/alert-store';
import { editScheduled, publishArticle, type EditInput, type PublishInput, type PublishResult } from './alerts/publish';
import { createTransportFromConfig } from './mail/create-transport';
import { createRendererFromConfig } from './mail/create-renderer';
import { createMailer, senderOptions, type Mailer } from './mail/mailer';
import type { MailTransport } from './mail/transport';
import { ApiKeys } from './ops/api-keys';
import { AuditLog } from './ops/audit-log';
import { createWebhookEmitter, noWebhooks, type WebhookEmitter } from './ops/webhooks';
import { AddressHasher } from './subscribers/address-hasher';
import { DataRights } from './subscribers/data-rights';
import { createSignupTracking, type SignupTracking } from './subscribers/signup-tracking';
import { DigestPreferences } from './subscribers/digest-preferences';
import { createLinks, type Links } from './subscribers/links';
import { SubscriberStore } from './subscribers/subscriber-store';
import { MessageTags } from './subscribers/message-tags';
import { TokenSigner } from './subscribers/tokens';
import { AudienceStats } from './subscribers/audience-stats';
import { SubscriberAdmin } from './subscribers/subscriber-admin';

/**
 * The composition root: the one place that builds the domain objects from the configuration. The
 * API (src/server.ts), the workers (workers/index.ts), the CLI (src/cli/) and the bench all start
 * from it, so a rule such as "no WEBHOOK_URL means no webhooks" is decided here once.
 */
export interface Core {
  config: ResolvedConfig;
  /** The Redis the process uses (REDIS_URL, or the embedded one the dev bootstrap started). */
  redisUrl: string;
  logger: Logger;
  redis: Redis;
  /** Follows the connection through failovers: one warning, one line on recovery, a count. */
  redisWatch: RedisWatch;
  /** Writes of what already happened outside Redis, retried until Redis answers or shutdown. */
  durable: DurableWrites;
  keys: Keys;
  catalog: Catalog;
  subscribers: SubscriberStore;
  alerts: AlertStore;
  signer: TokenSigner;
  /** Keyed address hashes for the suppression set (same keys as the signer). */
  hasher: AddressHasher;
  links: Links;
  /** Verifies the signed tags of sent copies (Message-ID, VERP) that bounce reports quote. */
  tags: MessageTags;
  queues: Queues;
  /** Stores the alert and starts its fan-out (API, /admin, CLI and feed watcher alike). */
  publish(input: PublishInput): Promise<PublishResult>;
  /** Edits a scheduled alert (PATCH /api/alerts/:id, /admin): validated like a publish, its job moved to the new time. */
  editScheduled(alertId: string, patch: EditInput): ReturnType<typeof editScheduled>;
  /** Pause, resume or cancel (API, /admin, CLI); a cancel also drops a scheduled alert's delayed fan-out job. */
  controlAlert(alertId: string, action: AlertAction): Promise<ControlResult>;
  /** Event webhooks; without WEBHOOK_URL an emitter that sends nothing. */
  webhooks: WebhookEmitter;
  /** Where each sign-up came from (issue 12): attribution, per-source counters, the optional challenge. */
  signups: SignupTracking;
  dataRights: DataRights;
  digestPrefs: DigestPreferences;
  /** Named API keys (PUBLISHER_TOKEN is the bootstrap key among them). */
  apiKeys: ApiKeys;
  /** The append-only record of who changed what (every process writes to the same stream). */
  audit: AuditLog;
  /** The audience counters (/admin/subscribers, GET /api/stats/audience). */
  audience: AudienceStats;
  /** The newsroom's lookup of one subscriber by exact address, and its actions. */
  subscriberAdmin: SubscriberAdmin;
  close(): Promise<void>;
}

export interface CoreDeps {
  config: ResolvedConfig;
  logger: Logger;
  role: RedisRole;
}

export function createCore({ config, logger, role }: CoreDeps): Core {
  const redis = createRedis(config.redisUrl, role, { failoverWaitMs: config.redisFailoverWaitMs });
  // The one log line per outage (and one when it ends): the queues share this client and stay quiet (src/queues.ts).
  const redisWatch = watchRedis({ redis, logger });
  // Writes of what already happened are confirmed on a replica before they count (redis-replicas.ts).
  const durable = createDurableWrites({ logger, replicas: createReplicaConfirm({ redis, maxWaitMs: config.redisFailoverWaitMs }) });
  const keys = createKeys(config.keyPrefix);
  // The current key signs; previous keys (SECRET_KEY_PREVIOUS) still verify links in emails already sent.
  const secrets = [config.secretKey, ...config.previousSecretKeys];
  const signer = new TokenSigner(secrets);
  const tags = new MessageTags(secrets);
  const hasher = new AddressHasher(secrets);
  const queues = createQueues(redis, keys.queuePrefix, { sendRetryBaseMs: config.sendRetryBaseMs });
  const subscribers = new SubscriberStore({ redis, keys });
  const alerts = new AlertStore({ redis, keys });
  const signups = createSignupTracking(config, { redis, keys });
  const dataRights = new DataRights({ subscribers, hasher, attribution: signups.attribution });
  const webhooks = config.webhookUrl ? createWebhookEmitter({ queue: queues.webhooks, logger, retryBaseMs: config.webhookRetryBaseMs }) : noWebhooks;
  return {
    config,
    redisUrl: config.redisUrl,
    logger,
    redis,
    redisWatch,
    durable,
    keys,
    catalog: loadCatalog(),
    subscribers,
    alerts,
    signer,
    hasher,
    links: createLinks({ publicUrl: config.publicUrl, signer, tags, confirmTokenTtlSeconds: config.confirmTokenTtlSeconds, clickTracking: config.clickTracking }),
    tags,
    queues,
    publish: (input) => publishArticle({ alerts, queues, defaultLocale: config.defaultLocale, sitePatterns: config.articleBoilerplate }, input),
    editScheduled: (alertId, patch) => editScheduled({ alerts, queues, defaultLocale: config.defaultLocale, sitePatterns: config.articleBoilerplate }, alertId, patch, config.topics),
    controlAlert: (alertId, action) => controlAlert({ alerts, queues, logger }, alertId, action),
    webhooks,
    signups,
    dataRights,
    digestPrefs: new DigestPreferences({ redis, keys }),
    apiKeys: new ApiKeys({ redis, keys, publisherToken: config.publisherToken }),
    audit: new AuditLog({ redis, keys, maxEntries: config.auditLogMaxEntries }),
    audience: new AudienceStats({ redis, keys }),
    subscriberAdmin: new SubscriberAdmin({ subscribers, dataRights, events: webhooks }),
    async close() {
      // Closing a queue waits for Redis; with Redis gone that would hang shutdown.
      await Promise.race([queues.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
      redisWatch.close();
      redis.disconnect();
    },
  };
}

export interface Mailing {
  transport: MailTransport;
  mailer: Mailer;
}

/** The transport (SMTP relay or dev outbox) and the mailer, for the processes that send (API, workers). */
export function createMailing(core: Pick<Core, 'config' | 'catalog'>): Mailing {
  const transport = createTransportFromConfig(core.config);
  const mailer = createMailer({ renderer: createRendererFromConfig(core.config, core.catalog), transport, ...senderOptions(core.config) });
  return { transport, mailer };
}
