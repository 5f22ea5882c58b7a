import { createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { parseAllowList } from './newsroom/fetch-content';
import { projectRoot } from './paths';

export const LOCALES = ['id', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const urlString = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

/**
 * Every environment variable the service reads, with its default. This is the only place that
 * knows about process.env; everything else receives a typed Config.
 */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: intIn(0, 65535).default(3000),
  PUBLIC_URL: urlString(['http:', 'https:']).optional(),
  REDIS_URL: urlString(['redis:', 'rediss:']).optional(),
  // host:port,host:port — a Redis Cluster's start-up nodes (REDIS_URL may instead name one node
  // with ?cluster=true). Credentials and TLS come from REDIS_URL when both are set.
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^[^,:\s]+:\d{1,5}(,[^,:\s]+:\d{1,5})*$/, 'a comma-separated list of host:port')
    .optional(),
  KEY_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{1,32}$/, 'letters, digits, _ . - only (no braces: they would break hash tags)')
    .default('kilat'),
  // Parsed by parseSmtp below, which explains a URL that does not parse without echoing it.
  SMTP_URL: z.string().min(1).optional(),
  SMTP_POOL_SIZE: intIn(1, 100).default(8),
  // A server that stops answering mid-message must not hold a sender forever: after this much
  // silence the message counts as a temporary failure and is retried.
  SMTP_TIMEOUT_MS: intIn(1000, 600_000).default(30_000),
  // smtp:// only: require (default with credentials or port 587), opportunistic (default otherwise), none.
  SMTP_TLS: z.enum(['require', 'opportunistic', 'none']).optional(),
  SMTP_TLS_CA: z.string().min(1).optional(),
  SMTP_TLS_REJECT_UNAUTHORIZED: bool.default(true),
  SMTP_EHLO_NAME: z
    .string()
    .regex(/^([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])$/, 'a host name such as mail.news.example.com, or an address literal such as [203.0.113.10]')
    .optional(),
  SMTP_MAX_MESSAGES_PER_CONNECTION: intIn(1, 1_000_000).default(100),
  SMTP_OAUTH2_TOKEN: z.string().min(1).optional(),
  // First retry delay of a batch with temporary failures; it doubles each attempt (8 attempts).
  SEND_RETRY_BASE_MS: intIn(10, 600_000).default(2000),
  MAIL_FROM: z.string().min(3).optional(),
  PUBLISHER_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // Bearer token of GET /metrics; without it /metrics answers loopback clients only.
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  DEFAULT_LOCALE: z.enum(LOCALES).default('id'),
  TOPICS: z
    .string()
    .regex(/^[a-z0-9-]+(,[a-z0-9-]+)*$/, 'a comma-separated list of lowercase slugs')
    .default('politik,ekonomi,dunia,olahraga,teknologi'),
  SITE_NAME: z.string().min(1).max(60).default('Kilat'),
  TIME_ZONE: z
    .string()
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Asia/Jakarta')
    .default('Asia/Jakarta'),
  EXCERPT_PARAGRAPHS: intIn(0, 50).default(3),
  CONFIRM_TOKEN_TTL_HOURS: intIn(1, 24 * 30).default(48),
  BATCH_SIZE: intIn(1, 10000).default(500),
  SEND_CONCURRENCY: intIn(1, 1000).default(32),
  SEND_RATE_PER_SEC: intIn(0, 1_000_000).default(0),
  WORKER_CONCURRENCY: intIn(1, 100).default(4),
  WORKER_PROCESSES: intIn(1, 64).optional(),
  WORKER_HEAP_MB: intIn(0, 65536).default(160),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  VAR_DIR: z.string().min(1).optional(),
  // Which proxies in front may say who the client is (X-Forwarded-For), as express's `trust proxy`:
  // false (none), a number of hops, or a list of proxy addresses/CIDRs (and loopback, linklocal,
  // uniquelocal). `true` means one hop: trusting every hop would believe a client's own header.
  TRUST_PROXY: z
    .string()
    .refine((v) => /^(true|false|yes|no|[0-9]|[1-9][0-9])$/.test(v) || v.split(',').every((e) => isProxyEntry(e.trim())), 'false, a number of proxy hops, or a comma list of proxy addresses or CIDRs (loopback, linklocal, uniquelocal allowed)')
    .default('false'),
  // Abuse limits, shared through Redis by every API process. 0 turns a limit off (load tests, or a
  // trusted front end that limits already); loopback gets no exemption of its own.
  SIGNUP_LIMIT_PER_IP: intIn(0, 1_000_000).default(20),
  CONFIRM_LIMIT_PER_ADDRESS: intIn(0, 1000).default(3),
  // Newsroom feeds: JSON `[{"url","locale","topics","breaking"}]` or a path to a file holding it.
  FEEDS: z.string().min(1).optional(),
  FEED_INTERVAL: intIn(1, 86400).default(60),
  FEED_TIMEOUT_MS: intIn(100, 120_000).default(10_000),
  // Fetches made on behalf of content (feeds, publish --url) reach only public addresses; these
  // host names (exact or *.example.com) and addresses or CIDRs are admitted although internal.
  FETCH_ALLOW_HOSTS: z
    .string()
    .refine((v) => {
      try {
        parseAllowList(v.split(','));
        return true;
      } catch {
        return false;
      }
    }, 'a comma-separated list of host names (feeds.intranet.example, *.intranet.example), addresses or CIDRs (10.1.0.0/16)')
    .optional(),
  // Outgoing webhooks: events are POSTed here, signed with WEBHOOK_SECRET (HMAC-SHA256).
  WEBHOOK_URL: urlString(['http:', 'https:']).optional(),
  WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  // First retry delay; each further retry waits twice as long (12 attempts).
  WEBHOOK_RETRY_BASE_MS: intIn(100, 600_000).default(5000),
  // Daily digest send time (HH:MM in TIME_ZONE).
  DIGEST_TIME: z
    .string()
    .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be HH:MM (24-hour clock)')
    .default('07:00'),
  // Deliverability and the subscriber lifecycle.
  SECRET_KEY_PREVIOUS: z
    .string()
    .refine((v) => v.split(',').every((k) => k.trim().length >= 32), 'a comma-separated list of keys of at least 32 characters each')
    .optional(),
  REPLY_TO: z.string().min(3).optional(),
  LIST_ID: z
    .string()
    .regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'a dotted list identifier such as breaking.news.example.com (RFC 2919)')
    .optional(),
  LIST_UNSUBSCRIBE_MAILTO: z.email('must be an email address such as unsubscribe@news.example.com').optional(),
  SOFT_BOUNCE_LIMIT: intIn(1, 100).default(3),
  BOUNCE_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  // VERP: each message's envelope sender is bounces+<signed tag>@BOUNCE_DOMAIN, so a bounce names
  // the message (and so the subscriber) it is about and cannot be forged for anyone else.
  BOUNCE_DOMAIN: z
    .string()
    .regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'must be a domain name such as bounces.news.example.com')
    .optional(),
  DKIM_DOMAIN: z
    .string()
    .regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'must be a domain name such as news.example.com')
    .optional(),
  DKIM_SELECTOR: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be a DNS label such as kilat2026').optional(),
  DKIM_PRIVATE_KEY: z.string().min(1).optional(),
  ALERT_MAX_AGE: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(s|m|h|d)?$/i, 'a number of seconds or a duration such as 90m, 6h or 1d (0 turns the guard off)')
    .default('6h'),
  // Issue 12: sites allowed to embed the sign-up box (comma list of origins, e.g. https://berita.example.com).
  EMBED_ORIGINS: z
    .string()
    .refine((v) => v.split(',').every((o) => isOrigin(o.trim())), 'a comma-separated list of origins such as https://berita.example.com (scheme, host and optional port; no path)')
    .optional(),
  // Issue 12: `altcha` asks every sign-up for a self-hosted proof of work (no third party, no cookie).
  SIGNUP_CHALLENGE: z.enum(['off', 'altcha']).default('off'),
});

function isOrigin(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === v.replace(/\/$/, '').toLowerCase();
  } catch {
    return false;
  }
}

type Env = Record<string, string | undefined>;

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  publicUrl: string;
  redisUrl: string | undefined;
  keyPrefix: string;
  smtpUrl: string | undefined;
  /** SMTP_URL and the SMTP_* settings, parsed and checked; undefined without SMTP_URL (dev outbox). */
  smtp: SmtpSettings | undefined;
  smtpPoolSize: number;
  /** Socket inactivity timeout for SMTP, in ms. */
  smtpTimeoutMs: number;
  /** First retry delay of a batch (ms); doubles per attempt. */
  sendRetryBaseMs: number;
  mailFrom: string;
  publisherToken: string;
  secretKey: string;
  /** Bearer token of GET /metrics; undefined = loopback clients only. */
  metricsToken: string | undefined;
  defaultLocale: Locale;
  topics: string[];
  siteName: string;
  timeZone: string;
  excerptParagraphs: number;
  confirmTokenTtlSeconds: number;
  batchSize: number;
  sendConcurrency: number;
  /** Messages per second across every worker process together; 0 = no limit. */
  sendRatePerSec: number;
  workerConcurrency: number;
  workerProcesses: number;
  /** V8 old-space limit of each forked worker process in MB (0 = V8's own default). */
  workerHeapMb: number;
  logLevel: string;
  varDir: string;
  /** express's `trust proxy`: false, a number of hops, or a list of proxy addresses. */
  trustProxy: false | number | string;
  /** Sign-up attempts per client IP per hour; 0 = unlimited. */
  signupLimitPerIp: number;
  /** Sign-up attempts (each may send a confirmation email) per address per day; 0 = unlimited. */
  confirmLimitPerAddress: number;
  feeds: FeedConfig[];
  feedIntervalSeconds: number;
  feedTimeoutMs: number;
  /** FETCH_ALLOW_HOSTS entries: non-public hosts and networks that content fetches may reach. */
  fetchAllowHosts: string[];
  webhookUrl: string | undefined;
  webhookSecret: string | undefined;
  webhookRetryBaseMs: number;
  digestTime: { hour: number; minute: number };
  /** Older signing keys still accepted for links in emails already sent (SECRET_KEY_PREVIOUS). */
  previousSecretKeys: string[];
  replyTo: string | undefined;
  /** RFC 2919 list identifier, e.g. `breaking.kilat.example`. */
  listId: string;
  listUnsubscribeMailto: string | undefined;
  softBounceLimit: number;
  bounceWebhookSecret: string | undefined;
  /** VERP envelope-sender domain (BOUNCE_DOMAIN); unset = the MAIL_FROM address is the envelope sender. */
  bounceDomain: string | undefined;
  dkim: DkimConfig | undefined;
  /** Seconds after which an article is too old to alert about; 0 = no limit. */
  alertMaxAgeSeconds: number;
  /** Origins allowed to embed the sign-up box (EMBED_ORIGINS), normalised by URL; empty = none. */
  embedOrigins: string[];
  /** SIGNUP_CHALLENGE: a proof-of-work challenge on every sign-up path, or none. */
  signupChallenge: 'off' | 'altcha';
}

/** How to reach the SMTP relay. */
export interface SmtpSettings {
  host: string;
  port: number;
  /** implicit for smtps://; otherwise SMTP_TLS or its default. */
  tls: 'implicit' | 'require' | 'opportunistic' | 'none';
  user?: string;
  pass?: string;
  /** XOAUTH2 bearer token (SMTP_OAUTH2_TOKEN), used with the user name from SMTP_URL. */
  oauth2Token?: string;
  ehloName: string;
  rejectUnauthorized: boolean;
  /** PEM text of SMTP_TLS_CA. */
  ca?: string;
  maxMessagesPerConnection: number;
  /** What start-up must say loudly (certificate checks off, cleartext credentials). */
  warnings: string[];
}

/** One newsroom feed the watcher polls. */
export interface FeedConfig {
  url: string;
  locale: Locale;
  topics: string[];
  /** false: items go to the daily digest only. */
  breaking: boolean;
}

export interface DkimConfig {
  domain: string;
  selector: string;
  /** PEM text (read from the file when DKIM_PRIVATE_KEY named a path). */
  privateKey: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Secrets that may be missing in development because the dev bootstrap generates them. */
export interface DevSecrets {
  publisherToken: string;
  secretKey: string;
}

/**
 * Parses and validates an environment map. Throws ConfigError naming every bad variable.
 * `dev` supplies generated secrets for a newcomer's machine; production must set them all.
 */
export function parseConfig(env: Env, devSecrets?: (varDir: string) => DevSecrets): Config {
  const cleaned: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${String(i.path[0])}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const missing: string[] = [];
  const need = <T>(name: string, value: T | undefined): T | undefined => {
    if (value === undefined && production) missing.push(name);
    return value;
  };
  const redisUrl = clusterUrl(e.REDIS_URL, e.REDIS_CLUSTER_NODES);
  need('REDIS_URL', redisUrl);
  need('SMTP_URL', e.SMTP_URL);
  need('PUBLIC_URL', e.PUBLIC_URL);
  const mailFrom = need('MAIL_FROM', e.MAIL_FROM);
  const varDir = path.resolve(projectRoot, e.VAR_DIR ?? 'var');
  need('PUBLISHER_TOKEN', e.PUBLISHER_TOKEN);
  need('SECRET_KEY', e.SECRET_KEY);
  const dev = !production && devSecrets && (!e.PUBLISHER_TOKEN || !e.SECRET_KEY) ? devSecrets(varDir) : undefined;
  const publisherToken = e.PUBLISHER_TOKEN ?? dev?.publisherToken;
  const secretKey = e.SECRET_KEY ?? dev?.secretKey;
  if (!production) {
    if (!publisherToken) missing.push('PUBLISHER_TOKEN');
    if (!secretKey) missing.push('SECRET_KEY');
  }
  if (e.WEBHOOK_URL && !e.WEBHOOK_SECRET) missing.push('WEBHOOK_SECRET (needed because WEBHOOK_URL is set)');
  if (production) {
    // A guessable secret in production is as good as none: the publisher token publishes to every
    // reader, the key forges every unsubscribe, preferences and delete link.
    const weak = (['PUBLISHER_TOKEN', 'SECRET_KEY', 'METRICS_TOKEN', 'BOUNCE_WEBHOOK_SECRET', 'WEBHOOK_SECRET'] as const)
      .map((name) => [name, e[name] === undefined ? undefined : weakSecret(e[name]!)] as const)
      .filter(([, why]) => why !== undefined);
    if (weak.length > 0) {
      throw new ConfigError(`Invalid configuration:\n${weak.map(([n, why]) => `  ${n}: ${why} (generate one with: openssl rand -base64 32)`).join('\n')}`);
    }
  }
  if (missing.length > 0) {
    throw new ConfigError(
      `Missing required configuration: ${missing.join(', ')}` +
        (production ? ' (NODE_ENV=production sets no defaults)' : ''),
    );
  }
  const topics = e.TOPICS.split(',');
  const feeds = e.FEEDS ? parseFeeds(e.FEEDS, topics, e.DEFAULT_LOCALE) : [];
  const [digestHour, digestMinute] = e.DIGEST_TIME.split(':').map(Number) as [number, number];
  const port = e.PORT;
  const mailFromValue = mailFrom ?? 'Kilat <alerts@localhost>';
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    redisUrl,
    keyPrefix: e.KEY_PREFIX,
    smtpUrl: e.SMTP_URL,
    smtp: e.SMTP_URL ? parseSmtp(e, domainOf(mailFromValue)) : undefined,
    smtpPoolSize: e.SMTP_POOL_SIZE,
    smtpTimeoutMs: e.SMTP_TIMEOUT_MS,
    sendRetryBaseMs: e.SEND_RETRY_BASE_MS,
    mailFrom: mailFromValue,
    publisherToken: publisherToken!,
    secretKey: secretKey!,
    metricsToken: e.METRICS_TOKEN,
    defaultLocale: e.DEFAULT_LOCALE,
    topics,
    siteName: e.SITE_NAME,
    timeZone: e.TIME_ZONE,
    excerptParagraphs: e.EXCERPT_PARAGRAPHS,
    confirmTokenTtlSeconds: e.CONFIRM_TOKEN_TTL_HOURS * 3600,
    batchSize: e.BATCH_SIZE,
    sendConcurrency: e.SEND_CONCURRENCY,
    sendRatePerSec: e.SEND_RATE_PER_SEC,
    workerConcurrency: e.WORKER_CONCURRENCY,
    workerProcesses: e.WORKER_PROCESSES ?? Math.max(1, os.availableParallelism()),
    workerHeapMb: e.WORKER_HEAP_MB,
    logLevel: e.LOG_LEVEL,
    varDir,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    signupLimitPerIp: e.SIGNUP_LIMIT_PER_IP,
    confirmLimitPerAddress: e.CONFIRM_LIMIT_PER_ADDRESS,
    feeds,
    feedIntervalSeconds: e.FEED_INTERVAL,
    feedTimeoutMs: e.FEED_TIMEOUT_MS,
    fetchAllowHosts: (e.FETCH_ALLOW_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean),
    webhookUrl: e.WEBHOOK_URL,
    webhookSecret: e.WEBHOOK_SECRET,
    webhookRetryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
    digestTime: { hour: digestHour, minute: digestMinute },
    previousSecretKeys: (e.SECRET_KEY_PREVIOUS ?? '').split(',').map((k) => k.trim()).filter((k) => k.length > 0),
    replyTo: e.REPLY_TO,
    listId: e.LIST_ID ?? `breaking.${domainOf(mailFromValue)}`,
    listUnsubscribeMailto: e.LIST_UNSUBSCRIBE_MAILTO,
    softBounceLimit: e.SOFT_BOUNCE_LIMIT,
    bounceWebhookSecret: e.BOUNCE_WEBHOOK_SECRET,
    bounceDomain: e.BOUNCE_DOMAIN?.toLowerCase(),
    dkim: parseDkim(e.DKIM_DOMAIN, e.DKIM_SELECTOR, e.DKIM_PRIVATE_KEY),
    alertMaxAgeSeconds: parseDuration(e.ALERT_MAX_AGE),
    embedOrigins: [...new Set((e.EMBED_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean).map((o) => new URL(o).origin))],
    signupChallenge: e.SIGNUP_CHALLENGE,
  };
}

const feedsSchema = (topics: string[]) =>
  z.array(
    z
      .object({
        url: urlString(['http:', 'https:']),
        locale: z.enum(LOCALES).optional(),
        topics: z.array(z.enum(topics as [string, ...string[]])).optional(),
        breaking: z.boolean().optional(),
      })
      .strict(),
  );

/** FEEDS holds the JSON itself, or (when it does not start with `[`) a path to a file holding it. */
function parseFeeds(value: string, topics: string[], defaultLocale: Locale): FeedConfig[] {
  let text = value.trim();
  if (!text.startsWith('[')) {
    try {
      text = fs.readFileSync(path.resolve(projectRoot, text), 'utf8');
    } catch (err) {
      throw new ConfigError(`Invalid configuration:\n  FEEDS: cannot read file ${value} (${(err as Error).message})`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError('Invalid configuration:\n  FEEDS: is not valid JSON (expected [{"url": "…", "locale": "id", "topics": []}])');
  }
  const parsed = feedsSchema(topics).safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid configuration:\n  FEEDS: ${i.path.join('.')}: ${i.message}`);
  }
  return parsed.data.map((f) => ({ url: f.url, locale: f.locale ?? defaultLocale, topics: f.topics ?? [], breaking: f.breaking ?? true }));
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1)$/i;

/**
 * SMTP_URL with the SMTP_* settings around it. Errors name the variable and never repeat the URL
 * (it holds the password). TLS: smtps:// is implicit TLS; for smtp:// SMTP_TLS, by default
 * `require` when credentials are given or the port is 587, else `opportunistic`.
 */
function parseSmtp(e: z.infer<typeof schema>, mailFromDomain: string): SmtpSettings {
  const bad = (why: string) => new ConfigError(`Invalid configuration:\n  SMTP_URL: ${why}`);
  let u: URL;
  try {
    u = new URL(e.SMTP_URL!);
  } catch {
    throw bad('cannot be parsed as a URL such as smtp://user:password@smtp.example.com:587 (characters such as @ : / ? # % in the user name or password must be percent-encoded: @ as %40, # as %23, / as %2F)');
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw bad('must be a URL starting with smtp:// or smtps://');
  if (!u.hostname) throw bad('names no host');
  const decode = (v: string, what: string) => {
    try {
      return decodeURIComponent(v);
    } catch {
      throw bad(`the ${what} has a % that does not start a percent-encoded character (write % itself as %25)`);
    }
  };
  const user = u.username ? decode(u.username, 'user name') : undefined;
  const pass = u.password ? decode(u.password, 'password') : undefined;
  const implicit = u.protocol === 'smtps:';
  const port = u.port ? Number(u.port) : implicit ? 465 : 587;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const credentials = Boolean(user || e.SMTP_OAUTH2_TOKEN);
  if (e.SMTP_OAUTH2_TOKEN && !user) throw new ConfigError('Invalid configuration:\n  SMTP_OAUTH2_TOKEN: needs the account\'s user name in SMTP_URL (smtp://user@host:587)');
  if (implicit && e.SMTP_TLS && e.SMTP_TLS !== 'require') throw new ConfigError(`Invalid configuration:\n  SMTP_TLS: smtps:// is TLS from the first byte; SMTP_TLS=${e.SMTP_TLS} contradicts it`);
  const tls = implicit ? 'implicit' : (e.SMTP_TLS ?? (credentials || port === 587 ? 'require' : 'opportunistic'));
  let ca: string | undefined;
  if (e.SMTP_TLS_CA) {
    try {
      ca = fs.readFileSync(path.resolve(projectRoot, e.SMTP_TLS_CA), 'utf8');
    } catch (err) {
      throw new ConfigError(`Invalid configuration:\n  SMTP_TLS_CA: cannot read ${e.SMTP_TLS_CA} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`Invalid configuration:\n  SMTP_TLS_CA: ${e.SMTP_TLS_CA} holds no PEM certificate`);
  }
  // nodemailer's URL spelling, kept so existing SMTP_URLs mean the same: ?tls.rejectUnauthorized=false
  const rejectUnauthorized = e.SMTP_TLS_REJECT_UNAUTHORIZED && u.searchParams.get('tls.rejectUnauthorized') !== 'false';
  const warnings: string[] = [];
  if (!rejectUnauthorized && tls !== 'none') {
    warnings.push(`SMTP TLS certificates are NOT checked (SMTP_TLS_REJECT_UNAUTHORIZED=false): anyone on the path to ${host} can read the mail${credentials ? ' and the password' : ''}; give a private CA in SMTP_TLS_CA instead`);
  }
  if (tls === 'none' && !LOOPBACK.test(host)) warnings.push(`SMTP_TLS=none: mail to ${host}:${port} goes unencrypted${credentials ? ', and so does the password' : ''}`);
  return {
    host,
    port,
    tls,
    user,
    pass,
    oauth2Token: e.SMTP_OAUTH2_TOKEN,
    ehloName: e.SMTP_EHLO_NAME ?? mailFromDomain,
    rejectUnauthorized,
    ca,
    maxMessagesPerConnection: e.SMTP_MAX_MESSAGES_PER_CONNECTION,
    warnings,
  };
}

const PLACEHOLDERS = ['change', 'secret', 'passw', 'example', 'default', 'publisher', 'letmein', 'qwerty', 'admin', 'kilat', '12345', 'abcde'];
const MIN_SECRET_BITS = 128;

/**
 * Why a secret is too weak for production, or undefined. Its entropy is estimated from its own
 * character frequencies (Shannon entropy times length: `aaaa…` or `abab…` score almost nothing) and
 * it must not contain a placeholder word (`change-me-…`). What `openssl rand -base64 32` prints
 * passes easily (about 190 bits by this estimate).
 */
export function weakSecret(value: string): string | undefined {
  const lower = value.toLowerCase();
  const word = PLACEHOLDERS.find((w) => lower.includes(w));
  if (word) return `looks like a placeholder (contains "${word}"), not a random secret`;
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / value.length) * Math.log2(n / value.length);
  const bits = Math.floor(perChar * value.length);
  return bits < MIN_SECRET_BITS ? `has about ${bits} bits of entropy; at least ${MIN_SECRET_BITS} are needed` : undefined;
}

function isProxyEntry(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  if (ipaddr.isValid(entry)) return true;
  try {
    ipaddr.parseCIDR(entry);
    return true;
  } catch {
    return false;
  }
}

function parseTrustProxy(value: string): false | number | string {
  if (value === 'false' || value === 'no') return false;
  if (value === 'true' || value === 'yes') return 1;
  if (/^\d+$/.test(value)) return Number(value) === 0 ? false : Number(value);
  return value.split(',').map((e) => e.trim()).join(', ');
}

/** "6h" -> 21600; a bare number is seconds. The schema has already checked the shape. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd])?$/i.exec(value.trim());
  if (!m) throw new ConfigError(`Invalid duration: ${value}`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}

function domainOf(mailFrom: string): string {
  const m = /@([A-Za-z0-9.-]+)/.exec(mailFrom);
  return (m?.[1] ?? 'localhost').toLowerCase();
}

/**
 * DKIM is all three settings or none. The key may be PEM text (with real or `\n`-escaped newlines,
 * as env files often carry it) or a path to a PEM file; either way it must load as a private key of
 * at least 2048 bits (RSA), so a bad key stops the process at start, not at the first alert.
 */
function parseDkim(domain: string | undefined, selector: string | undefined, key: string | undefined): DkimConfig | undefined {
  const given = [domain, selector, key].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (given < 3) {
    const missing = [['DKIM_DOMAIN', domain], ['DKIM_SELECTOR', selector], ['DKIM_PRIVATE_KEY', key]].filter(([, v]) => v === undefined).map(([n]) => n);
    throw new ConfigError(`Invalid configuration:\n  ${missing.join(', ')}: DKIM needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY together`);
  }
  let pem = key!.includes('-----BEGIN') ? key!.replace(/\\n/g, '\n') : undefined;
  if (pem === undefined) {
    try {
      pem = fs.readFileSync(path.resolve(projectRoot, key!), 'utf8');
    } catch (err) {
      throw new ConfigError(`Invalid configuration:\n  DKIM_PRIVATE_KEY: neither PEM text nor a readable file (${(err as Error).message})`);
    }
  }
  try {
    const k = createPrivateKey(pem);
    const bits = k.asymmetricKeyDetails?.modulusLength;
    if (k.asymmetricKeyType !== 'rsa' || bits === undefined || bits < 2048) {
      throw new Error(`an RSA key of at least 2048 bits is required (got ${k.asymmetricKeyType ?? 'unknown'}${bits ? ` ${bits}-bit` : ''})`);
    }
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  DKIM_PRIVATE_KEY: ${(err as Error).message}`);
  }
  return { domain: domain!.toLowerCase(), selector: selector!, privateKey: pem };
}

/**
 * One URL for Redis whatever its shape, so it travels to forked workers as REDIS_URL: a cluster given
 * as REDIS_CLUSTER_NODES becomes `redis://<first node>?cluster=true&nodes=<the others>` (user,
 * password and rediss: taken from REDIS_URL when that is set too).
 */
function clusterUrl(redisUrl: string | undefined, nodes: string | undefined): string | undefined {
  if (!nodes) return redisUrl;
  const [first, ...rest] = nodes.split(',');
  const u = new URL(redisUrl ?? 'redis://localhost');
  const base = `${u.protocol}//${u.username ? `${u.username}${u.password ? `:${u.password}` : ''}@` : ''}${first}`;
  return `${base}?cluster=true${rest.length > 0 ? `&nodes=${rest.join(',')}` : ''}`;
}

/** The raw environment, read in exactly one place. */
export function processEnv(): Env {
  return process.env;
}
