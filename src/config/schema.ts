import { z } from 'zod';
import { isOrigin } from './embed-origins';
import { parseAllowList } from '../newsroom/fetch-content';
import { LOCALES } from './locale';
import { isProxyEntry } from './trust-proxy';

const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const urlString = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

/**
 * Every environment variable the service reads, with its default: the one list of settings. The
 * README's configuration table names exactly these (test/config/readme-table.test.ts checks it);
 * parse-config.ts turns their values into the Config whose type is derived from this schema.
 */
export const settingsSchema = z.object({
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
  // host:port,host:port — the Sentinels watching a standalone Redis and its replicas; ioredis asks
  // them for the master of REDIS_SENTINEL_NAME and follows a failover. Credentials and TLS for the
  // master come from REDIS_URL when both are set.
  REDIS_SENTINELS: z
    .string()
    .regex(/^[^,:\s]+:\d{1,5}(,[^,:\s]+:\d{1,5})*$/, 'a comma-separated list of host:port')
    .optional(),
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'the master name the sentinels monitor (letters, digits, _ . -)')
    .default('mymaster'),
  // How long a worker's Redis command waits out a failover (Cluster or Sentinel) before failing; at
  // least the cluster's node timeout plus an election. Writes of what already happened (the ledger)
  // are retried beyond it until Redis answers or the process shuts down.
  REDIS_FAILOVER_WAIT_MS: intIn(1000, 600_000).default(15_000),
  KEY_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{1,32}$/, 'letters, digits, _ . - only (no braces: they would break hash tags)')
    .default('kilat'),
  // Parsed by parseSmtp (smtp.ts), which explains a URL that does not parse without echoing it.
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
  // The audit log (a Redis Stream): 0 keeps every entry; otherwise trimmed to about this many.
  AUDIT_LOG_MAX_ENTRIES: intIn(0, 100_000_000).default(0),
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
  // A file of site-chrome patterns (one a line, plain text; see README "How Kilat reads a story").
  ARTICLE_BOILERPLATE: z.string().min(1).optional(),
  // Sites allowed to embed the sign-up box (comma list of origins, e.g. https://berita.example.com).
  EMBED_ORIGINS: z
    .string()
    .refine((v) => v.split(',').every((o) => isOrigin(o.trim())), 'a comma-separated list of origins such as https://berita.example.com (scheme, host and optional port; no path)')
    .optional(),
  // `altcha` asks every sign-up for a self-hosted proof of work (no third party, no cookie).
  SIGNUP_CHALLENGE: z.enum(['off', 'altcha']).default('off'),
  // `on`: each alert's "Read more" is the reader's signed redirect (/r/<token>), counted per alert
  // (unique readers and total clicks), and the email's footer says so.
  CLICK_TRACKING: z.enum(['off', 'on']).default('off'),
  // Open tracking is not offered: mail privacy proxies (Apple Mail Privacy Protection, Gmail's
  // image proxy) fetch every pixel, so an "open" says nothing about a reader (README "Why not opens").
  OPEN_TRACKING: z
    .enum(['off'], { error: () => 'only off: Kilat counts no opens (mail privacy proxies fetch every tracking pixel, so the figure would be mostly machines; see README "Why not opens"); use CLICK_TRACKING=on' })
    .default('off'),
});

/** The settings after validation and defaults, keyed by variable name. */
export type Settings = z.output<typeof settingsSchema>;

/** The names of every setting, in schema order. */
export const SETTING_NAMES = Object.keys(settingsSchema.shape) as (keyof Settings)[];

/** An environment map such as process.env. */
export type Env = Record<string, string | undefined>;
