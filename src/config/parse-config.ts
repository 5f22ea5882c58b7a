import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../paths';
import { parseArticleBoilerplate } from './article-boilerplate';
import { parseEmbedOrigins } from './embed-origins';
import { ConfigError, invalid } from './config-error';
import { parseDkim } from './dkim';
import { parseDuration } from './duration';
import { parseFeeds } from './feeds';
import { redisUrlFrom } from './redis-url';
import { settingsSchema, type Env } from './schema';
import { parseSmtp } from './smtp';
import { parseTrustProxy } from './trust-proxy';
import { weakSecret } from './weak-secret';

/** Secrets that may be missing in development because the dev bootstrap generates them. */
export interface DevSecrets {
  publisherToken: string;
  secretKey: string;
}

/**
 * The typed configuration: its type is what this function returns (derived from the schema's
 * output), so each setting is named in the schema, here, and the README's table, and nowhere else.
 */
export type Config = ReturnType<typeof parseConfig>;

const SECRETS = ['PUBLISHER_TOKEN', 'SECRET_KEY', 'METRICS_TOKEN', 'BOUNCE_WEBHOOK_SECRET', 'WEBHOOK_SECRET'] as const;

/**
 * Parses and validates an environment map. Throws ConfigError naming every bad variable.
 * `devSecrets` supplies generated secrets for a newcomer's machine; production must set them all.
 * `redisUrl` is still undefined without REDIS_URL: resolveConfig (resolved-config.ts) makes it definite.
 */
export function parseConfig(env: Env, devSecrets?: (varDir: string) => DevSecrets) {
  const cleaned: Env = {};
  for (const key of Object.keys(settingsSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const parsed = settingsSchema.safeParse(cleaned);
  if (!parsed.success) throw invalid(parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`));
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const missing: string[] = [];
  if (e.REDIS_CLUSTER_NODES && e.REDIS_SENTINELS) throw invalid(['REDIS_SENTINELS: a Redis Cluster (REDIS_CLUSTER_NODES) has no Sentinels; set one of them']);
  const redisUrl = redisUrlFrom(e.REDIS_URL, e.REDIS_CLUSTER_NODES, e.REDIS_SENTINELS ? { nodes: e.REDIS_SENTINELS, name: e.REDIS_SENTINEL_NAME } : undefined);
  if (production) {
    for (const [name, value] of [['REDIS_URL', redisUrl], ['SMTP_URL', e.SMTP_URL], ['PUBLIC_URL', e.PUBLIC_URL], ['MAIL_FROM', e.MAIL_FROM]] as const) {
      if (value === undefined) missing.push(name);
    }
  }
  const varDir = path.resolve(projectRoot, e.VAR_DIR ?? 'var');
  const dev = !production && devSecrets && (!e.PUBLISHER_TOKEN || !e.SECRET_KEY) ? devSecrets(varDir) : undefined;
  const publisherToken = e.PUBLISHER_TOKEN ?? dev?.publisherToken;
  const secretKey = e.SECRET_KEY ?? dev?.secretKey;
  if (!publisherToken) missing.push('PUBLISHER_TOKEN');
  if (!secretKey) missing.push('SECRET_KEY');
  if (e.WEBHOOK_URL && !e.WEBHOOK_SECRET) missing.push('WEBHOOK_SECRET (needed because WEBHOOK_URL is set)');
  if (production) {
    // A guessable secret in production is as good as none: the publisher token publishes to every
    // reader, the key forges every unsubscribe, preferences and delete link.
    const weak = SECRETS.flatMap((name) => {
      const value = e[name];
      const why = value === undefined ? undefined : weakSecret(value);
      return why === undefined ? [] : [`${name}: ${why} (generate one with: openssl rand -base64 32)`];
    });
    if (weak.length > 0) throw invalid(weak);
  }
  if (missing.length > 0 || !publisherToken || !secretKey) {
    throw new ConfigError(
      `Missing required configuration: ${missing.join(', ')}` +
        (production ? ' (NODE_ENV=production sets no defaults)' : ''),
    );
  }
  const topics = e.TOPICS.split(',');
  const [digestHour, digestMinute] = e.DIGEST_TIME.split(':').map(Number) as [number, number];
  const mailFrom = e.MAIL_FROM ?? 'Kilat <alerts@localhost>';
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    /** undefined until resolveConfig: without REDIS_URL the dev bootstrap starts a local redis-server. */
    redisUrl,
    /** How long a worker's Redis command waits out a failover (ms). */
    redisFailoverWaitMs: e.REDIS_FAILOVER_WAIT_MS,
    keyPrefix: e.KEY_PREFIX,
    smtpUrl: e.SMTP_URL,
    /** SMTP_URL and the SMTP_* settings, parsed and checked; undefined without SMTP_URL (dev outbox). */
    smtp: e.SMTP_URL ? parseSmtp({ ...e, SMTP_URL: e.SMTP_URL }, domainOf(mailFrom)) : undefined,
    smtpPoolSize: e.SMTP_POOL_SIZE,
    /** Socket inactivity timeout for SMTP, in ms. */
    smtpTimeoutMs: e.SMTP_TIMEOUT_MS,
    /** First retry delay of a batch (ms); doubles per attempt. */
    sendRetryBaseMs: e.SEND_RETRY_BASE_MS,
    mailFrom,
    publisherToken,
    secretKey,
    /** Bearer token of GET /metrics; undefined = loopback clients only. */
    metricsToken: e.METRICS_TOKEN,
    defaultLocale: e.DEFAULT_LOCALE,
    topics,
    siteName: e.SITE_NAME,
    timeZone: e.TIME_ZONE,
    excerptParagraphs: e.EXCERPT_PARAGRAPHS,
    confirmTokenTtlSeconds: e.CONFIRM_TOKEN_TTL_HOURS * 3600,
    batchSize: e.BATCH_SIZE,
    sendConcurrency: e.SEND_CONCURRENCY,
    /** Messages per second across every worker process together; 0 = no limit. */
    sendRatePerSec: e.SEND_RATE_PER_SEC,
    workerConcurrency: e.WORKER_CONCURRENCY,
    workerProcesses: e.WORKER_PROCESSES ?? Math.max(1, os.availableParallelism()),
    /** V8 old-space limit of each forked worker process in MB (0 = V8's own default). */
    workerHeapMb: e.WORKER_HEAP_MB,
    logLevel: e.LOG_LEVEL,
    varDir,
    /** express's `trust proxy`: false, a number of hops, or a list of proxy addresses. */
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    /** Sign-up attempts per client IP per hour; 0 = unlimited. */
    signupLimitPerIp: e.SIGNUP_LIMIT_PER_IP,
    /** Sign-up attempts (each may send a confirmation email) per address per day; 0 = unlimited. */
    confirmLimitPerAddress: e.CONFIRM_LIMIT_PER_ADDRESS,
    feeds: e.FEEDS ? parseFeeds(e.FEEDS, topics, e.DEFAULT_LOCALE) : [],
    feedIntervalSeconds: e.FEED_INTERVAL,
    feedTimeoutMs: e.FEED_TIMEOUT_MS,
    /** FETCH_ALLOW_HOSTS entries: non-public hosts and networks that content fetches may reach. */
    fetchAllowHosts: commaList(e.FETCH_ALLOW_HOSTS),
    webhookUrl: e.WEBHOOK_URL,
    webhookSecret: e.WEBHOOK_SECRET,
    webhookRetryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
    /** Audit stream cap (XADD MAXLEN ~); 0 = no cap. */
    auditLogMaxEntries: e.AUDIT_LOG_MAX_ENTRIES,
    digestTime: { hour: digestHour, minute: digestMinute },
    /** Older signing keys still accepted for links in emails already sent (SECRET_KEY_PREVIOUS). */
    previousSecretKeys: commaList(e.SECRET_KEY_PREVIOUS),
    replyTo: e.REPLY_TO,
    /** RFC 2919 list identifier, e.g. `breaking.kilat.example`. */
    listId: e.LIST_ID ?? `breaking.${domainOf(mailFrom)}`,
    listUnsubscribeMailto: e.LIST_UNSUBSCRIBE_MAILTO,
    softBounceLimit: e.SOFT_BOUNCE_LIMIT,
    bounceWebhookSecret: e.BOUNCE_WEBHOOK_SECRET,
    /** VERP envelope-sender domain (BOUNCE_DOMAIN); unset = the MAIL_FROM address is the envelope sender. */
    bounceDomain: e.BOUNCE_DOMAIN?.toLowerCase(),
    dkim: parseDkim(e.DKIM_DOMAIN, e.DKIM_SELECTOR, e.DKIM_PRIVATE_KEY),
    /** Seconds after which an article is too old to alert about; 0 = no limit. */
    alertMaxAgeSeconds: parseDuration(e.ALERT_MAX_AGE),
    /** The operator's site-chrome patterns (ARTICLE_BOILERPLATE), checked at start. */
    articleBoilerplate: parseArticleBoilerplate(e.ARTICLE_BOILERPLATE),
    /** Origins allowed to embed the sign-up box (EMBED_ORIGINS), normalised by URL; empty = none. */
    embedOrigins: parseEmbedOrigins(e.EMBED_ORIGINS),
    /** SIGNUP_CHALLENGE: a proof-of-work challenge on every sign-up path, or none. */
    signupChallenge: e.SIGNUP_CHALLENGE,
    /** CLICK_TRACKING=on: tracked "Read more" links, per-alert click counts, disclosed in the footer. */
    clickTracking: e.CLICK_TRACKING === 'on',
    /** OPEN_TRACKING: always off (the setting exists so that asking for opens gets an explanation). */
    openTracking: false as const,
  };
}

function commaList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((v) => v.trim()).filter((v) => v.length > 0);
}

function domainOf(mailFrom: string): string {
  const m = /@([A-Za-z0-9.-]+)/.exec(mailFrom);
  return (m?.[1] ?? 'localhost').toLowerCase();
}

/** The raw environment, read in exactly one place. */
export function processEnv(): Env {
  return process.env;
}
