import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Locale } from '../config';
import { SUBSCRIBER_SHARDS, type Keys } from '../keys';
import { defineScripts } from '../redis-scripts';

export type SubscriberStatus = 'pending' | 'confirmed' | 'paused' | 'unsubscribed' | 'bounced' | 'complained';

export interface Subscriber {
  id: number;
  email: string;
  locale: Locale;
  topics: string[];
  status: SubscriberStatus;
  createdAt: number;
  confirmedAt?: number;
  /** Nonce of the current sign-up; a confirm link must carry it. */
  nonce: string;
}

export type SignupOutcome =
  /** A new record, or a departed address starting a fresh double opt-in: send a confirmation. */
  | 'created'
  | 'resubscribe'
  /** Still waiting for confirmation: send the confirmation again. */
  | 'pending'
  /** Already confirmed: nothing to send. */
  | 'confirmed';

export type ConfirmOutcome = 'confirmed' | 'already_confirmed' | 'stale' | 'not_found';

// Each script touches only keys of one subscriber shard ({s<n>} hash tag), so it runs unchanged on
// Redis Cluster. The record key is built from the shard prefix passed in KEYS, the way BullMQ's own
// scripts build job keys: same hash tag, same slot.
const SCRIPTS = {
  kilatSignup: {
    keys: 3,
    // KEYS: emailIndex, idCounter, shardPrefix. ARGV: email, locale, topics, nonce, now, shard, shards
    lua: `
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then
  id = tostring(redis.call('INCR', KEYS[2]) * tonumber(ARGV[7]) + tonumber(ARGV[6]))
  redis.call('HSET', KEYS[1], ARGV[1], id)
  redis.call('HSET', KEYS[3] .. 'sub:' .. id, 'e', ARGV[1], 'l', ARGV[2], 't', ARGV[3], 'st', 'pending', 'n', ARGV[4], 'c', ARGV[5])
  return {id, 'created'}
end
local key = KEYS[3] .. 'sub:' .. id
local st = redis.call('HGET', key, 'st')
if st == 'confirmed' then return {id, 'confirmed'} end
if st == 'pending' then
  redis.call('HSET', key, 'l', ARGV[2], 't', ARGV[3])
  return {id, 'pending'}
end
-- departed (or a record lost half-way): a fresh double opt-in with a new nonce
redis.call('HSET', key, 'e', ARGV[1], 'l', ARGV[2], 't', ARGV[3], 'st', 'pending', 'n', ARGV[4], 'c', ARGV[5])
redis.call('HDEL', key, 'cf')
return {id, 'resubscribe'}
`,
  },
  kilatConfirm: {
    keys: 2,
    // KEYS: record, shardPrefix. ARGV: nonce, now, id
    lua: `
local st = redis.call('HGET', KEYS[1], 'st')
if not st then return 'not_found' end
if st == 'confirmed' then return 'already_confirmed' end
if st ~= 'pending' or redis.call('HGET', KEYS[1], 'n') ~= ARGV[1] then return 'stale' end
local locale = redis.call('HGET', KEYS[1], 'l')
redis.call('HSET', KEYS[1], 'st', 'confirmed', 'cf', ARGV[2])
redis.call('ZADD', KEYS[2] .. 'active:' .. locale, tonumber(ARGV[3]), ARGV[3])
return 'confirmed'
`,
  },
  kilatSetStatus: {
    keys: 2,
    // KEYS: record, shardPrefix. ARGV: new status, id. Leaving 'confirmed' removes it from fan-out.
    lua: `
local st = redis.call('HGET', KEYS[1], 'st')
if not st then return 'not_found' end
if st == ARGV[1] then return 'unchanged' end
local locale = redis.call('HGET', KEYS[1], 'l')
redis.call('ZREM', KEYS[2] .. 'active:' .. locale, ARGV[2])
redis.call('HSET', KEYS[1], 'st', ARGV[1])
return st
`,
  },
  kilatSetPreferences: {
    keys: 2,
    // KEYS: record, shardPrefix. ARGV: locale, topics, id
    lua: `
local st = redis.call('HGET', KEYS[1], 'st')
if not st then return 'not_found' end
local old = redis.call('HGET', KEYS[1], 'l')
redis.call('HSET', KEYS[1], 'l', ARGV[1], 't', ARGV[2])
if st == 'confirmed' and old ~= ARGV[1] then
  redis.call('ZREM', KEYS[2] .. 'active:' .. old, ARGV[3])
  redis.call('ZADD', KEYS[2] .. 'active:' .. ARGV[1], tonumber(ARGV[3]), ARGV[3])
end
return 'ok'
`,
  },
  kilatImportConfirmed: {
    keys: 3,
    // KEYS: emailIndex, idCounter, shardPrefix. ARGV: email, locale, topics, nonce, now, shard, shards.
    // An address already known is left exactly as it is (an import never resurrects an unsubscribe).
    lua: `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
local id = tostring(redis.call('INCR', KEYS[2]) * tonumber(ARGV[7]) + tonumber(ARGV[6]))
redis.call('HSET', KEYS[1], ARGV[1], id)
redis.call('HSET', KEYS[3] .. 'sub:' .. id, 'e', ARGV[1], 'l', ARGV[2], 't', ARGV[3], 'st', 'confirmed', 'n', ARGV[4], 'c', ARGV[5], 'cf', ARGV[5])
redis.call('ZADD', KEYS[3] .. 'active:' .. ARGV[2], tonumber(id), id)
return 1
`,
  },
  kilatImport: {
    keys: 3,
    // KEYS: emailIndex, idCounter, shardPrefix. ARGV: mode ('pending'|'confirmed'), now, shard, shards,
    // then (email, locale, topics, nonce) per row. Returns (id, outcome) per row. An address that
    // left (unsubscribed, bounced, complained) is never brought back by an import.
    lua: `
local mode, now, shard, shards = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}
for i = 5, #ARGV, 4 do
  local email, locale, topics, nonce = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local id = redis.call('HGET', KEYS[1], email)
  local outcome
  if not id then
    id = tostring(redis.call('INCR', KEYS[2]) * shards + shard)
    redis.call('HSET', KEYS[1], email, id)
    if mode == 'confirmed' then
      redis.call('HSET', KEYS[3] .. 'sub:' .. id, 'e', email, 'l', locale, 't', topics, 'st', 'confirmed', 'n', nonce, 'c', now, 'cf', now)
      redis.call('ZADD', KEYS[3] .. 'active:' .. locale, tonumber(id), id)
    else
      redis.call('HSET', KEYS[3] .. 'sub:' .. id, 'e', email, 'l', locale, 't', topics, 'st', 'pending', 'n', nonce, 'c', now)
    end
    outcome = 'created'
  else
    local key = KEYS[3] .. 'sub:' .. id
    local st = redis.call('HGET', key, 'st')
    if st == 'pending' and mode == 'confirmed' then
      local l = redis.call('HGET', key, 'l')
      redis.call('HSET', key, 'st', 'confirmed', 'cf', now)
      redis.call('ZADD', KEYS[3] .. 'active:' .. l, tonumber(id), id)
      outcome = 'confirmed'
    elseif st == 'pending' or st == 'confirmed' then
      outcome = 'exists'
    else
      outcome = 'opted_out'
    end
  end
  out[#out + 1] = id
  out[#out + 1] = outcome
end
return out
`,
  },
  kilatResume: {
    keys: 2,
    // KEYS: record, shardPrefix. ARGV: id. Only a paused subscriber comes back into fan-out.
    lua: `
local st = redis.call('HGET', KEYS[1], 'st')
if not st then return 'not_found' end
if st ~= 'paused' then return st end
redis.call('HSET', KEYS[1], 'st', 'confirmed')
redis.call('ZADD', KEYS[2] .. 'active:' .. redis.call('HGET', KEYS[1], 'l'), tonumber(ARGV[1]), ARGV[1])
return 'resumed'
`,
  },
  kilatErase: {
    keys: 5,
    // KEYS: record, emailIndex, shardPrefix, softBounces, suppressed. ARGV: id, addressHash ('' for
    // none), now. Removes the record, its index, active and soft-bounce entries; with a hash, leaves
    // only that keyed hash of the address behind, in the suppression set.
    lua: `
local h = redis.call('HMGET', KEYS[1], 'e', 'l')
if not h[1] then return 0 end
if redis.call('HGET', KEYS[2], h[1]) == ARGV[1] then redis.call('HDEL', KEYS[2], h[1]) end
if h[2] then redis.call('ZREM', KEYS[3] .. 'active:' .. h[2], ARGV[1]) end
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('DEL', KEYS[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[5], ARGV[2], 'deleted:' .. ARGV[3]) end
return 1
`,
  },
  kilatSoftBounce: {
    keys: 2,
    // KEYS: softBounces, shardPrefix. ARGV: limit, ids... Counts one more temporary failure in a row
    // for each id; whoever reaches the limit is suppressed (bounced) like a hard bounce.
    lua: `
local out = {}
for i = 2, #ARGV do
  local n = redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
  if n >= tonumber(ARGV[1]) then
    local key = KEYS[2] .. 'sub:' .. ARGV[i]
    local st = redis.call('HGET', key, 'st')
    if st then
      redis.call('ZREM', KEYS[2] .. 'active:' .. redis.call('HGET', key, 'l'), ARGV[i])
      if st == 'confirmed' or st == 'paused' or st == 'pending' then redis.call('HSET', key, 'st', 'bounced') end
      out[#out + 1] = ARGV[i]
    end
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return out
`,
  },
} as const;

export type ImportOutcome = 'created' | 'confirmed' | 'exists' | 'opted_out';

type ScriptName = keyof typeof SCRIPTS;

export interface RecipientPage {
  /** Ids in ascending order; the last one is the cursor for the next page. */
  ids: number[];
}

/** Subscribers in Redis: records by id, an address index and per-locale sets of confirmed ids. */
export class SubscriberStore {
  private readonly redis: Redis;
  private readonly keys: Keys;
  private readonly run: (name: ScriptName, keys: string[], args: (string | number)[]) => Promise<unknown>;

  constructor(deps: { redis: Redis; keys: Keys }) {
    this.redis = deps.redis;
    this.keys = deps.keys;
    this.run = defineScripts(deps.redis, SCRIPTS);
  }

  shardOfEmail(email: string): number {
    return createHash('sha1').update(email).digest().readUInt32BE(0) % SUBSCRIBER_SHARDS;
  }

  private shardPrefix(shard: number): string {
    return `${this.keys.prefix}:{s${shard}}:`;
  }

  async signup(input: { email: string; locale: Locale; topics: string[] }, now = Date.now()): Promise<{ id: number; outcome: SignupOutcome }> {
    const shard = this.shardOfEmail(input.email);
    const nonce = randomBytes(6).toString('base64url');
    const [id, outcome] = (await this.run(
      'kilatSignup',
      [this.keys.emailIndex(shard), this.keys.idCounter(shard), this.shardPrefix(shard)],
      [input.email, input.locale, input.topics.join(','), nonce, now, shard, SUBSCRIBER_SHARDS],
    )) as [string, SignupOutcome];
    return { id: Number(id), outcome };
  }

  /**
   * Adds already-confirmed subscribers in bulk (an import from another system, the benchmark's
   * seed): pipelined, one round trip per call. Addresses must be normalised; known ones are skipped.
   * Returns how many were added.
   */
  async importConfirmed(rows: { email: string; locale: Locale; topics: string[] }[], now = Date.now()): Promise<number> {
    if (rows.length === 0) return 0;
    const pipeline = this.redis.pipeline();
    const target = pipeline as unknown as Record<string, (...args: (string | number)[]) => unknown>;
    for (const row of rows) {
      const shard = this.shardOfEmail(row.email);
      target.kilatImportConfirmed!.call(
        pipeline,
        this.keys.emailIndex(shard),
        this.keys.idCounter(shard),
        this.shardPrefix(shard),
        row.email,
        row.locale,
        row.topics.join(','),
        randomBytes(6).toString('base64url'),
        now,
        shard,
        SUBSCRIBER_SHARDS,
      );
    }
    let added = 0;
    for (const [err, value] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      added += Number(value);
    }
    return added;
  }

  async confirm(id: number, nonce: string, now = Date.now()): Promise<ConfirmOutcome> {
    const shard = this.keys.shardOfId(id);
    return (await this.run('kilatConfirm', [this.keys.subscriber(id), this.shardPrefix(shard)], [nonce, now, id])) as ConfirmOutcome;
  }

  /** Moves a subscriber to a non-confirmed status; returns the previous status, or 'unchanged'/'not_found'. */
  async setStatus(id: number, status: Exclude<SubscriberStatus, 'confirmed'>): Promise<string> {
    const shard = this.keys.shardOfId(id);
    return (await this.run('kilatSetStatus', [this.keys.subscriber(id), this.shardPrefix(shard)], [status, id])) as string;
  }

  async setPreferences(id: number, prefs: { locale: Locale; topics: string[] }): Promise<boolean> {
    const shard = this.keys.shardOfId(id);
    const r = await this.run('kilatSetPreferences', [this.keys.subscriber(id), this.shardPrefix(shard)], [prefs.locale, prefs.topics.join(','), id]);
    return r === 'ok';
  }

  async get(id: number): Promise<Subscriber | undefined> {
    return parseRecord(id, await this.redis.hgetall(this.keys.subscriber(id)));
  }

  async findByEmail(email: string): Promise<Subscriber | undefined> {
    const id = await this.redis.hget(this.keys.emailIndex(this.shardOfEmail(email)), email);
    return id === null ? undefined : this.get(Number(id));
  }

  /** Confirmed ids of one shard and locale with `after < id <= upTo`, ascending, at most `limit`. */
  async activeIds(shard: number, locale: Locale, after: number, upTo: number | '+inf', limit: number): Promise<number[]> {
    const ids = await this.redis.zrangebyscore(this.keys.active(shard, locale), `(${after}`, upTo, 'LIMIT', 0, limit);
    return ids.map(Number);
  }

  async countActive(shard: number, locale: Locale, after: number, upTo: number): Promise<number> {
    return this.redis.zcount(this.keys.active(shard, locale), `(${after}`, upTo);
  }

  /**
   * Adds many addresses of ONE shard in one script call (bulk import). `confirmed` mode makes new and
   * pending addresses confirmed at once; otherwise they are pending and need a confirmation email.
   */
  async importBatch(
    shard: number,
    rows: { email: string; locale: Locale; topics: string[] }[],
    mode: 'pending' | 'confirmed',
    now = Date.now(),
  ): Promise<{ id: number; outcome: ImportOutcome }[]> {
    if (rows.length === 0) return [];
    const args: (string | number)[] = [mode, now, shard, SUBSCRIBER_SHARDS];
    for (const r of rows) args.push(r.email, r.locale, r.topics.join(','), randomBytes(6).toString('base64url'));
    const flat = (await this.run('kilatImport', [this.keys.emailIndex(shard), this.keys.idCounter(shard), this.shardPrefix(shard)], args)) as string[];
    const out: { id: number; outcome: ImportOutcome }[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ id: Number(flat[i]), outcome: flat[i + 1] as ImportOutcome });
    return out;
  }

  /** Every subscriber of one shard, a page at a time (HSCAN over the address index). */
  async *scanShard(shard: number, pageSize = 1000): AsyncGenerator<Subscriber[]> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.emailIndex(shard), cursor, 'COUNT', pageSize);
      cursor = next;
      const ids: number[] = [];
      for (let i = 1; i < flat.length; i += 2) ids.push(Number(flat[i]));
      const records = await this.getMany(ids);
      const page = records.filter((r): r is Subscriber => r !== undefined);
      if (page.length > 0) yield page;
    } while (cursor !== '0');
  }

  /** paused -> confirmed (back into fan-out); returns 'resumed', 'not_found' or the status it had. */
  async resume(id: number): Promise<string> {
    const shard = this.keys.shardOfId(id);
    return (await this.run('kilatResume', [this.keys.subscriber(id), this.shardPrefix(shard)], [id])) as string;
  }

  /**
   * Removes a subscriber entirely (record, address index, active set, soft-bounce count). With
   * `addressHash` (see DataRights) that keyed hash stays in the suppression set. False when there was none.
   */
  async erase(id: number, addressHash = '', now = Date.now()): Promise<boolean> {
    const shard = this.keys.shardOfId(id);
    const keys = [this.keys.subscriber(id), this.keys.emailIndex(shard), this.shardPrefix(shard), this.keys.softBounces(shard), this.keys.suppressed(shard)];
    return (await this.run('kilatErase', keys, [id, addressHash, now])) === 1;
  }

  /** One more temporary failure in a row for each id (all of one shard); returns the ids now suppressed. */
  async recordSoftBounces(shard: number, ids: number[], limit: number): Promise<number[]> {
    if (ids.length === 0) return [];
    const out = (await this.run('kilatSoftBounce', [this.keys.softBounces(shard), this.shardPrefix(shard)], [limit, ...ids])) as string[];
    return out.map(Number);
  }

  /** A delivery ends a run of soft bounces. One EXISTS per batch when nobody has any (the usual case). */
  async clearSoftBounces(shard: number, ids: number[]): Promise<void> {
    if (ids.length === 0 || (await this.redis.exists(this.keys.softBounces(shard))) === 0) return;
    await this.redis.hdel(this.keys.softBounces(shard), ...ids.map(String));
  }

  async softBounceCount(id: number): Promise<number> {
    return Number((await this.redis.hget(this.keys.softBounces(this.keys.shardOfId(id)), String(id))) ?? 0);
  }

  /** Adds address hashes to the suppression set of the address's shard (first reason wins). */
  async suppressHash(email: string, addressHash: string, reason: string, now = Date.now()): Promise<void> {
    await this.redis.hsetnx(this.keys.suppressed(this.shardOfEmail(email)), addressHash, `${reason}:${now}`);
  }

  /** The suppression entry among `addressHashes` (one per signing key) for an address, if any. */
  async suppressionOf(email: string, addressHashes: string[]): Promise<string | undefined> {
    const found = await this.redis.hmget(this.keys.suppressed(this.shardOfEmail(email)), ...addressHashes);
    return found.find((v): v is string => v !== null);
  }

  async unsuppressHashes(email: string, addressHashes: string[]): Promise<void> {
    await this.redis.hdel(this.keys.suppressed(this.shardOfEmail(email)), ...addressHashes);
  }

  /** Records for ids of one shard, in one round trip; a missing record comes back undefined. */
  async getMany(ids: number[]): Promise<(Subscriber | undefined)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.subscriber(id));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, value], i) => {
      if (err) throw err;
      return parseRecord(ids[i]!, value as Record<string, string>);
    });
  }
}

function parseRecord(id: number, h: Record<string, string>): Subscriber | undefined {
  if (!h || !h.e) return undefined;
  return {
    id,
    email: h.e,
    locale: (h.l ?? 'id') as Locale,
    topics: h.t ? h.t.split(',') : [],
    status: (h.st ?? 'pending') as SubscriberStatus,
    createdAt: Number(h.c ?? 0),
    confirmedAt: h.cf ? Number(h.cf) : undefined,
    nonce: h.n ?? '',
  };
}
