import { createHash } from 'node:crypto';

/**
 * The Redis key layout. Every key starts with the configured prefix and carries a hash tag, so the
 * same layout runs on a single Redis or on Redis Cluster:
 *  - a subscriber shard `{s<n>}` holds the shard's records, its address index, its id counter and
 *    its per-locale active bitmaps, so a sign-up or confirmation is one atomic script in one slot.
 *    A subscriber's id is `seq * SUBSCRIBER_SHARDS + shard`, seq its number in its shard. Chosen
 *    for memory: about 130 bytes per subscriber at a million (128 measured with `npm run bench`'s
 *    seed; the README's Performance table has the figure):
 *     - records: packed strings (src/subscribers/commands/includes/record.lua) in small hashes of
 *       RECORDS_PER_BUCKET each, `{sN}:r:<bucket>` with field = seq, which Redis keeps as compact
 *       listpacks; a record longer than LISTPACK_VALUE_MAX goes to `{sN}:rx:<bucket>` instead, so
 *       one long address never turns a whole bucket into a hashtable;
 *     - the address index: `{sN}:e:<bucket>` hashes over EMAIL_BUCKETS buckets per shard (address
 *       -> id), long addresses in `{sN}:ex:<bucket>`; shard and bucket come from the address's sha1;
 *     - confirmed subscribers: one bitmap per shard and locale (`{sN}:act:<locale>`), bit = seq;
 *       fan-out reads it a page of bytes at a time;
 *     - the audience counters (commands/includes/audience.lua): `{sN}:stats`, one `{sN}:day:<UTC
 *       date>` per day, the last bounce of each subscriber `{sN}:last-bounce` and the copies they
 *       received, in RECORDS_PER_BUCKET-sized `{sN}:got:<bucket>` hashes;
 *     - where each subscriber's sign-up came from: `{sN}:signup-source` (field = id).
 *    The Lua scripts build the record, index and bitmap keys from the shard prefix (KEYS carries
 *    it) with the same numbers (commands/includes/layout.lua);
 *  - an alert `{a<id>}` holds the alert record, its ledger bitmaps, its finished-batch set and its
 *    outcomes (a counter hash, and the per-reader click counters as one bitfield);
 *  - sign-ups and confirmations per source and day sit in `{signup-attribution}`, one hash a day;
 *  - global lookups (article dedupe, alert counter, recent alerts) sit in `{g}`;
 *  - a feed `{f<hash>}` holds its poll state and the GUIDs it has seen;
 *  - API keys sit in `{keys}` (a create or revoke is one MULTI there); the audit stream in `{audit}`;
 *  - BullMQ queues use the prefix `<prefix>:{q}` so every queue key shares one slot.
 */
export const SUBSCRIBER_SHARDS = 16;
/** The per-address sign-up limit's name (its counters are keyed by AddressHasher.counterSubject). */
export const ADDRESS_LIMIT = 'confirm-addr';
export const RECORDS_PER_BUCKET = 128;
export const EMAIL_BUCKETS = 4096;
/** Redis's default hash-max-listpack-value: a longer value would turn its hash into a hashtable. */
export const LISTPACK_VALUE_MAX = 64;

export interface Keys {
  prefix: string;
  queuePrefix: string;
  shardOfId(id: number): number;
  /** A subscriber's number in its shard. */
  seqOf(id: number): number;
  /** `<prefix>:{s<n>}:`, from which the subscriber scripts build the shard's record, index and bitmap keys. */
  subscriberShard(shard: number): string;
  /** Record bucket `bucket` (seq / RECORDS_PER_BUCKET) of a shard, or its overflow bucket for long records. */
  records(shard: number, bucket: number, overflow?: boolean): string;
  /** The address's shard and its address-index bucket key. */
  addressIndex(email: string): { shard: number; key: string };
  idCounter(shard: number): string;
  active(shard: number, locale: string): string;
  /** Hash subscriber id -> temporary failures in a row (cleared by a delivery). */
  softBounces(shard: number): string;
  /** Hash keyed address hash -> `reason:ms`: addresses never to be mailed, kept after data deletion. */
  suppressed(shard: number): string;
  alert(alertId: string): string;
  ledger(alertId: string, outcome: 'sent' | 'failed' | 'skipped'): string;
  batchesDone(alertId: string): string;
  alertCounter(): string;
  articleIndex(): string;
  recentAlerts(): string;
  /** Prefix for one rate limit's counters; each counter adds `:{<subject>}` (its own hash tag). */
  rateLimit(name: string): string;
  /** One rate-limit counter: rateLimit(name) + `:{<subject>}`, as rate-limiter-flexible names it. */
  rateLimitCounter(name: string, subject: string): string;
  /** Hash seq -> `nonce|locale|topics`: a later sign-up's choices waiting for the owner's confirmation. */
  pendingChanges(shard: number): string;
  /** Hash sha256(session id) -> session, one per /admin sign-in (expires with the session). */
  adminSession(sessionHash: string): string;
  /** Sent-per-time-bucket hash of one alert: its delivery curve. */
  alertCurve(alertId: string): string;
  /** Hash of what one alert's readers did afterwards: unsubscribed, bounced, complained, clicks, uniqueClicks (HINCRBY as it happens). */
  alertOutcomes(alertId: string): string;
  /** One 2-bit counter per subscriber id (BITFIELD u2 #id): that reader's counted clicks on the alert. */
  alertClicks(alertId: string): string;
  /**
   * The relay-safety working sets of one alert: the breaker's `burst` (ids), `burst-batches`,
   * `reopened`, `unbounced`, and `deferring` (batch -> recipients deferred at its latest attempt).
   */
  alertBreaker(alertId: string, part: 'burst' | 'burst-batches' | 'reopened' | 'unbounced' | 'deferring'): string;
  /** Counters and histogram buckets written by every worker process, read by GET /metrics. */
  metrics(): string;
  /** Token bucket of SEND_RATE_PER_SEC, shared by every worker process. */
  sendRate(): string;
  /** One feed's state (ETag, Last-Modified, first poll done) and its set of seen GUIDs, tagged {f<hash>}. */
  feedState(feedHash: string): string;
  feedSeen(feedHash: string): string;
  feedLock(feedHash: string): string;
  /** Ids of one shard's subscribers who chose the daily digest over every breaking alert. */
  digestSubscribers(shard: number): string;
  /** Ids of one shard that already got the digest of `day` (YYYY-MM-DD): a re-run sends nobody twice. */
  digestSent(shard: number, day: string): string;
  /** String sha256(secret) hex -> JSON {id, name, scopes}: the lookup every authenticated request makes. Deleted on revoke. */
  apiKeyByHash(secretHash: string): string;
  /** Hash key id -> JSON record (name, scopes, created, hash): the listing, kept after revoke. */
  apiKeyIndex(): string;
  /** Hash key id -> revoked-at ms (HSETNX: one revoke per key). */
  apiKeyRevoked(): string;
  /** The append-only audit log: a Redis Stream, one entry per change (src/ops/audit-log.ts). */
  auditLog(): string;
  /** A shard's audience totals: `st:<status>`, and over confirmed records `loc:<locale>`, `top:<topic>`. */
  audienceTotals(shard: number): string;
  /** A shard's audience events of one UTC day (YYYY-MM-DD). */
  audienceDay(shard: number, day: string): string;
  /** seq -> copies the relay accepted, for the subscribers of one record bucket. */
  received(shard: number, bucket: number): string;
  /** seq -> `<ms>|hard|soft|complaint`: each subscriber's last bounce or complaint. */
  lastBounce(shard: number): string;
  /** Subscriber id -> JSON of where their sign-up came from (signup-attribution-1.lua). */
  signupSource(shard: number): string;
  /** One day's (newsroom time zone, YYYY-MM-DD) sign-up and confirmation counters, `<s|c>|<kind>|<source>` -> count (signup-count-1.lua). */
  signupDay(day: string): string;
}

export function createKeys(prefix: string): Keys {
  const shardOfId = (id: number) => id % SUBSCRIBER_SHARDS;
  const subscriberShard = (shard: number) => `${prefix}:{s${shard}}:`;
  return {
    prefix,
    queuePrefix: `${prefix}:{q}`,
    shardOfId,
    seqOf: (id) => (id - shardOfId(id)) / SUBSCRIBER_SHARDS,
    subscriberShard,
    records: (shard, bucket, overflow = false) => `${subscriberShard(shard)}${overflow ? 'rx' : 'r'}:${bucket}`,
    // One sha1 gives both (address-index.lua computes the same bucket).
    addressIndex: (email) => {
      const digest = createHash('sha1').update(email).digest();
      const shard = digest.readUInt32BE(0) % SUBSCRIBER_SHARDS;
      const bucket = digest.readUInt32BE(4) % EMAIL_BUCKETS;
      return { shard, key: `${subscriberShard(shard)}${Buffer.byteLength(email) > LISTPACK_VALUE_MAX ? 'ex' : 'e'}:${bucket}` };
    },
    idCounter: (shard) => `${prefix}:{s${shard}}:seq`,
    active: (shard, locale) => `${prefix}:{s${shard}}:act:${locale}`,
    softBounces: (shard) => `${prefix}:{s${shard}}:soft-bounces`,
    suppressed: (shard) => `${prefix}:{s${shard}}:suppressed`,
    alert: (alertId) => `${prefix}:{a${alertId}}:alert`,
    ledger: (alertId, outcome) => `${prefix}:{a${alertId}}:${outcome}`,
    batchesDone: (alertId) => `${prefix}:{a${alertId}}:batches-done`,
    alertCounter: () => `${prefix}:{g}:alert-seq`,
    articleIndex: () => `${prefix}:{g}:articles`,
    recentAlerts: () => `${prefix}:{g}:recent-alerts`,
    rateLimit: (name) => `${prefix}:rl:${name}`,
    rateLimitCounter: (name, subject) => `${prefix}:rl:${name}:{${subject}}`,
    pendingChanges: (shard) => `${prefix}:{s${shard}}:changes`,
    adminSession: (h) => `${prefix}:{admin}:session:${h}`,
    alertCurve: (alertId) => `${prefix}:{a${alertId}}:curve`,
    alertOutcomes: (alertId) => `${prefix}:{a${alertId}}:outcomes`,
    alertClicks: (alertId) => `${prefix}:{a${alertId}}:clicks`,
    alertBreaker: (alertId, part) => `${prefix}:{a${alertId}}:${part}`,
    metrics: () => `${prefix}:{g}:metrics`,
    sendRate: () => `${prefix}:{g}:send-rate`,
    feedState: (h) => `${prefix}:{f${h}}:state`,
    feedSeen: (h) => `${prefix}:{f${h}}:seen`,
    feedLock: (h) => `${prefix}:{f${h}}:lock`,
    digestSubscribers: (shard) => `${prefix}:{s${shard}}:digest`,
    digestSent: (shard, day) => `${prefix}:{s${shard}}:digest-sent:${day}`,
    apiKeyByHash: (h) => `${prefix}:{keys}:h:${h}`,
    apiKeyIndex: () => `${prefix}:{keys}:index`,
    apiKeyRevoked: () => `${prefix}:{keys}:revoked`,
    auditLog: () => `${prefix}:{audit}:log`,
    // The audience scripts build the same names from the shard prefix (audience.lua, count-received-1.lua).
    audienceTotals: (shard) => `${subscriberShard(shard)}stats`,
    audienceDay: (shard, day) => `${subscriberShard(shard)}day:${day}`,
    received: (shard, bucket) => `${subscriberShard(shard)}got:${bucket}`,
    lastBounce: (shard) => `${subscriberShard(shard)}last-bounce`,
    signupSource: (shard) => `${subscriberShard(shard)}signup-source`,
    signupDay: (day) => `${prefix}:{signup-attribution}:day:${day}`,
  };
}
