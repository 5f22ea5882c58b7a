import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Locale } from '../config';
import { ADDRESS_LIMIT, SUBSCRIBER_SHARDS, type Keys } from '../keys';
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
  /** A pending, confirmed or paused subscription: the new choices wait beside it for its owner's confirmation. */
  | 'change'
  /** The address complained: an anonymous sign-up sends it nothing. */
  | 'suppressed';

/** `changed`: a confirmed subscriber confirmed new choices. */
export type ConfirmOutcome = 'confirmed' | 'changed' | 'already_confirmed' | 'stale' | 'not_found';

/** New choices from a sign-up for an existing subscription, waiting for its owner to confirm them. */
export interface PendingChange {
  nonce: string;
  locale: Locale;
  topics: string[];
}

/**
 * The layout, chosen for memory (about 100 bytes per subscriber instead of about 400 with one hash
 * per subscriber and a sorted set of confirmed ids; measured by `npm run bench`):
 *  - records: packed strings in small hashes of 128 subscribers each (`{sN}:r:<bucket>`, field =
 *    the subscriber's sequence number in its shard), which Redis keeps as compact listpacks; a record
 *    longer than 64 bytes (Redis's default hash-max-listpack-value) goes to `{sN}:rx:<bucket>`
 *    instead, so one long address never turns a whole bucket into a hashtable;
 *  - the address index: `{sN}:e:<bucket>` hashes over EMAIL_BUCKETS buckets per shard (address ->
 *    id), long addresses in `{sN}:ex:<bucket>`;
 *  - confirmed subscribers: one bitmap per shard and locale (`{sN}:act:<locale>`), bit = sequence
 *    number; fan-out reads it a page of bytes at a time.
 * A record is `<status code><locale>|<created>|<confirmed>|<nonce>|<topics>|<email>` with times in
 * base-36 seconds. Every key of one subscriber is in its shard's hash tag, so each script runs in one
 * slot and the layout works unchanged on Redis Cluster.
 */
export const RECORDS_PER_BUCKET = 128;
export const EMAIL_BUCKETS = 4096;
const LISTPACK_VALUE_MAX = 64;

const STATUS_CODES: Record<SubscriberStatus, string> = { pending: 'p', confirmed: 'c', paused: 'z', unsubscribed: 'u', bounced: 'b', complained: 'x' };
const STATUS_NAMES = Object.fromEntries(Object.entries(STATUS_CODES).map(([name, code]) => [code, name])) as Record<string, SubscriberStatus>;

// Shared by every script. P is the shard prefix (`<prefix>:{sN}:`), seq a subscriber's number in it.
const LUA_LIB = `
local RPB, VMAX, EB = ${RECORDS_PER_BUCKET}, ${LISTPACK_VALUE_MAX}, ${EMAIL_BUCKETS}
local function rkeys(P, seq)
  local b = tostring(math.floor(seq / RPB))
  return P .. 'r:' .. b, P .. 'rx:' .. b
end
local function rget(P, seq)
  local r, x = rkeys(P, seq)
  return redis.call('HGET', r, tostring(seq)) or redis.call('HGET', x, tostring(seq))
end
local function rput(P, seq, v)
  local r, x = rkeys(P, seq)
  if #v > VMAX then r, x = x, r end
  redis.call('HSET', r, tostring(seq), v)
  redis.call('HDEL', x, tostring(seq))
end
local function rdel(P, seq)
  local r, x = rkeys(P, seq)
  redis.call('HDEL', r, tostring(seq))
  redis.call('HDEL', x, tostring(seq))
end
local function parse(v)
  local st, l, c, cf, n, t, e = string.match(v, '^(.)([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
  return { st = st, l = l, c = c, cf = cf, n = n, t = t, e = e }
end
-- The parsed record at seq, or nil when there is none.
local function rload(P, seq)
  local v = rget(P, seq)
  return v and parse(v)
end
local function pack(r)
  return r.st .. r.l .. '|' .. r.c .. '|' .. r.cf .. '|' .. r.n .. '|' .. r.t .. '|' .. r.e
end
-- The address index entry's key: the same sha1 bucket the application computes.
local function ekey(P, email)
  local b = tostring(tonumber(string.sub(redis.sha1hex(email), 9, 16), 16) % EB)
  if #email > VMAX then return P .. 'ex:' .. b end
  return P .. 'e:' .. b
end
local function active(P, locale, seq, on)
  redis.call('SETBIT', P .. 'act:' .. locale, seq, on)
end
`;

const SCRIPTS = {
  kilatSignup: {
    keys: 5,
    // KEYS: email index bucket, id counter, shard prefix, suppressed, pending changes.
    // ARGV: email, locale, topics, nonce, now36, shard, shards, then the address's keyed hashes.
    // An existing subscription is never changed here: the new choices wait beside it (pending
    // changes, field = seq) until its owner confirms them with the link this sign-up mails.
    lua: `${LUA_LIB}
local P, email = KEYS[3], ARGV[1]
local fresh = { st = 'p', l = ARGV[2], c = ARGV[5], cf = '', n = ARGV[4], t = ARGV[3], e = email }
local function complained()
  for i = 8, #ARGV do
    local v = redis.call('HGET', KEYS[4], ARGV[i])
    if v and string.sub(v, 1, 11) == 'complained:' then return true end
  end
  return false
end
local id = redis.call('HGET', KEYS[1], email)
if not id then
  if complained() then return { '0', 'suppressed' } end
  local seq = redis.call('INCR', KEYS[2])
  id = tostring(seq * tonumber(ARGV[7]) + tonumber(ARGV[6]))
  redis.call('HSET', KEYS[1], email, id)
  rput(P, seq, pack(fresh))
  return { id, 'created' }
end
local seq = (tonumber(id) - tonumber(ARGV[6])) / tonumber(ARGV[7])
local r = rload(P, seq)
if r then
  if r.st == 'x' then return { id, 'suppressed' } end
  if r.st == 'c' or r.st == 'z' or r.st == 'p' then
    redis.call('HSET', KEYS[5], tostring(seq), ARGV[4] .. '|' .. ARGV[2] .. '|' .. ARGV[3])
    return { id, 'change' }
  end
end
if complained() then return { id, 'suppressed' } end
-- departed (unsubscribed, bounced, or a record lost half-way): a fresh double opt-in with a new nonce
redis.call('HDEL', KEYS[5], tostring(seq))
rput(P, seq, pack(fresh))
return { id, 'resubscribe' }
`,
  },
  kilatConfirm: {
    keys: 4,
    // KEYS: record bucket, overflow bucket, shard prefix, pending changes. ARGV: nonce, now36, seq.
    // The nonce of a pending change confirms that change (its owner clicked the link it mailed);
    // the record's own nonce confirms a pending sign-up.
    lua: `${LUA_LIB}
local P, seq = KEYS[3], tonumber(ARGV[3])
local r = rload(P, seq)
if not r then return 'not_found' end
local change = redis.call('HGET', KEYS[4], tostring(seq))
if change and (r.st == 'c' or r.st == 'z' or r.st == 'p') then
  local n, l, t = string.match(change, '^([^|]*)|([^|]*)|(.*)$')
  if n == ARGV[1] then
    local was = r.st
    if was == 'c' then active(P, r.l, seq, 0) end
    r.st, r.l, r.t = 'c', l, t
    if r.cf == '' then r.cf = ARGV[2] end
    rput(P, seq, pack(r))
    active(P, r.l, seq, 1)
    redis.call('HDEL', KEYS[4], tostring(seq))
    if was == 'c' then return 'changed' end
    return 'confirmed'
  end
end
if r.st == 'c' then return 'already_confirmed' end
if r.st ~= 'p' or r.n ~= ARGV[1] then return 'stale' end
r.st, r.cf = 'c', ARGV[2]
rput(P, seq, pack(r))
active(P, r.l, seq, 1)
redis.call('HDEL', KEYS[4], tostring(seq))
return 'confirmed'
`,
  },
  kilatSetStatus: {
    keys: 3,
    // KEYS: record bucket, overflow bucket, shard prefix. ARGV: new status code, seq.
    // Returns the previous status code. Leaving 'confirmed' removes it from fan-out.
    lua: `${LUA_LIB}
local P, seq = KEYS[3], tonumber(ARGV[2])
local r = rload(P, seq)
if not r then return 'not_found' end
if r.st == ARGV[1] then return 'unchanged' end
local previous = r.st
active(P, r.l, seq, 0)
r.st = ARGV[1]
rput(P, seq, pack(r))
return previous
`,
  },
  kilatSetPreferences: {
    keys: 3,
    // KEYS: record bucket, overflow bucket, shard prefix. ARGV: locale, topics, seq
    lua: `${LUA_LIB}
local P, seq = KEYS[3], tonumber(ARGV[3])
local r = rload(P, seq)
if not r then return 'not_found' end
local old = r.l
r.l, r.t = ARGV[1], ARGV[2]
rput(P, seq, pack(r))
if r.st == 'c' and old ~= ARGV[1] then
  active(P, old, seq, 0)
  active(P, ARGV[1], seq, 1)
end
return 'ok'
`,
  },
  kilatImport: {
    keys: 2,
    // KEYS: id counter, shard prefix. ARGV: mode ('pending'|'confirmed'), now36, shard, shards, then
    // (email, locale, topics, nonce) per row. Returns (id, outcome) per row. An address that left
    // (unsubscribed, bounced, complained) is never brought back by an import.
    lua: `${LUA_LIB}
local P = KEYS[2]
local mode, now, shard, shards = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}
for i = 5, #ARGV, 4 do
  local email, locale, topics, nonce = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local ek = ekey(P, email)
  local id = redis.call('HGET', ek, email)
  local outcome
  if not id then
    local seq = redis.call('INCR', KEYS[1])
    id = tostring(seq * shards + shard)
    redis.call('HSET', ek, email, id)
    if mode == 'confirmed' then
      rput(P, seq, pack({ st = 'c', l = locale, c = now, cf = now, n = nonce, t = topics, e = email }))
      active(P, locale, seq, 1)
    else
      rput(P, seq, pack({ st = 'p', l = locale, c = now, cf = '', n = nonce, t = topics, e = email }))
    end
    outcome = 'created'
  else
    local seq = (tonumber(id) - shard) / shards
    local r = rload(P, seq)
    if r and r.st == 'p' and mode == 'confirmed' then
      r.st, r.cf = 'c', now
      rput(P, seq, pack(r))
      active(P, r.l, seq, 1)
      outcome = 'confirmed'
    elseif not r or r.st == 'p' or r.st == 'c' then
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
    keys: 3,
    // KEYS: record bucket, overflow bucket, shard prefix. ARGV: seq, status code ('z' when absent).
    // Only a subscriber with that status comes back into fan-out: a paused one, or ('b') one whose
    // bounce the circuit breaker found was the relay's. Returns 'resumed', 'not_found' or the status code it had.
    lua: `${LUA_LIB}
local P, seq = KEYS[3], tonumber(ARGV[1])
local r = rload(P, seq)
if not r then return 'not_found' end
if r.st ~= (ARGV[2] or 'z') then return r.st end
r.st = 'c'
rput(P, seq, pack(r))
active(P, r.l, seq, 1)
return 'resumed'
`,
  },
  kilatErase: {
    keys: 12,
    // KEYS: record bucket, overflow bucket, shard prefix, softBounces, suppressed, pending changes,
    // digest readers, then the shard's digest-sent sets of five days around now. ARGV: seq, id,
    // addressHash ('' for none), now. Removes the record, its index entry, active bit, soft-bounce
    // count, pending change and every set that lists the id; with a hash, leaves only that keyed
    // hash of the address behind, in the suppression set.
    lua: `${LUA_LIB}
local P, seq = KEYS[3], tonumber(ARGV[1])
local r = rload(P, seq)
if not r then return 0 end
local ek = ekey(P, r.e)
if redis.call('HGET', ek, r.e) == ARGV[2] then redis.call('HDEL', ek, r.e) end
active(P, r.l, seq, 0)
redis.call('HDEL', KEYS[4], ARGV[2])
redis.call('HDEL', KEYS[6], tostring(seq))
redis.call('SREM', KEYS[7], ARGV[2])
for i = 8, #KEYS do redis.call('SREM', KEYS[i], ARGV[2]) end
rdel(P, seq)
if ARGV[3] ~= '' then redis.call('HSET', KEYS[5], ARGV[3], 'deleted:' .. ARGV[4]) end
return 1
`,
  },
  kilatSoftBounce: {
    keys: 2,
    // KEYS: softBounces, shard prefix. ARGV: limit, shard, shards, ids... Counts one more temporary
    // failure in a row for each id; whoever reaches the limit is suppressed (bounced) like a hard bounce.
    lua: `${LUA_LIB}
local P, shard, shards = KEYS[2], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 4, #ARGV do
  local n = redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
  if n >= tonumber(ARGV[1]) then
    local seq = (tonumber(ARGV[i]) - shard) / shards
    local r = rload(P, seq)
    if r then
      active(P, r.l, seq, 0)
      if r.st == 'c' or r.st == 'z' or r.st == 'p' then
        r.st = 'b'
        rput(P, seq, pack(r))
      end
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

const base36Seconds = (ms: number) => Math.floor(ms / 1000).toString(36);

/** Subscribers in Redis: packed records in bucketed hashes, an address index and per-locale bitmaps of confirmed ids. */
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
    return this.locate(email).shard;
  }

  /** The address's shard and index bucket, from one sha1 (the Lua side computes the same bucket). */
  private locate(email: string): { shard: number; emailKey: string } {
    const digest = createHash('sha1').update(email).digest();
    const shard = digest.readUInt32BE(0) % SUBSCRIBER_SHARDS;
    const bucket = digest.readUInt32BE(4) % EMAIL_BUCKETS;
    return { shard, emailKey: `${this.shardPrefix(shard)}${Buffer.byteLength(email) > LISTPACK_VALUE_MAX ? 'ex' : 'e'}:${bucket}` };
  }

  private shardPrefix(shard: number): string {
    return `${this.keys.prefix}:{s${shard}}:`;
  }

  private seqOf(id: number): number {
    return (id - this.keys.shardOfId(id)) / SUBSCRIBER_SHARDS;
  }

  /** KEYS for a script on one record: its bucket, its overflow bucket and the shard prefix. */
  private recordKeys(id: number): string[] {
    const p = this.shardPrefix(this.keys.shardOfId(id));
    const bucket = Math.floor(this.seqOf(id) / RECORDS_PER_BUCKET);
    return [`${p}r:${bucket}`, `${p}rx:${bucket}`, p];
  }

  /**
   * One script whatever the address's state, so a known address costs what a new one does.
   * `addressHashes` (the keyed hashes of the address, see AddressHasher) find a complaint kept in
   * the suppression set after its record was deleted.
   */
  async signup(input: { email: string; locale: Locale; topics: string[] }, now = Date.now(), addressHashes: string[] = []): Promise<{ id: number; outcome: SignupOutcome }> {
    const { shard, emailKey } = this.locate(input.email);
    const nonce = randomBytes(6).toString('base64url');
    const [id, outcome] = (await this.run(
      'kilatSignup',
      [emailKey, this.keys.idCounter(shard), this.shardPrefix(shard), this.keys.suppressed(shard), this.keys.pendingChanges(shard)],
      [input.email, input.locale, input.topics.join(','), nonce, base36Seconds(now), shard, SUBSCRIBER_SHARDS, ...addressHashes],
    )) as [string, SignupOutcome];
    return { id: Number(id), outcome };
  }

  /** The choices of a later sign-up that wait for this subscriber's confirmation, if any. */
  async pendingChange(id: number): Promise<PendingChange | undefined> {
    const v = await this.redis.hget(this.keys.pendingChanges(this.keys.shardOfId(id)), String(this.seqOf(id)));
    const m = v === null ? null : /^([^|]*)\|([^|]*)\|(.*)$/.exec(v);
    return m ? { nonce: m[1]!, locale: m[2] as Locale, topics: m[3] ? m[3].split(',') : [] } : undefined;
  }

  /**
   * Adds already-confirmed subscribers in bulk (an import from another system, the benchmark's
   * seed): one script call per shard, all in flight at once. Addresses must be normalised; known
   * ones are left as they are. Returns how many were added.
   */
  async importConfirmed(rows: { email: string; locale: Locale; topics: string[] }[], now = Date.now()): Promise<number> {
    const byShard = new Map<number, typeof rows>();
    for (const row of rows) {
      const shard = this.shardOfEmail(row.email);
      let list = byShard.get(shard);
      if (!list) byShard.set(shard, (list = []));
      list.push(row);
    }
    const results = await Promise.all([...byShard].map(([shard, list]) => this.importBatch(shard, list, 'confirmed', now)));
    return results.flat().filter((r) => r.outcome === 'created').length;
  }

  async confirm(id: number, nonce: string, now = Date.now()): Promise<ConfirmOutcome> {
    return (await this.run('kilatConfirm', [...this.recordKeys(id), this.keys.pendingChanges(this.keys.shardOfId(id))], [nonce, base36Seconds(now), this.seqOf(id)])) as ConfirmOutcome;
  }

  /** Moves a subscriber to a non-confirmed status; returns the previous status, or 'unchanged'/'not_found'. */
  async setStatus(id: number, status: Exclude<SubscriberStatus, 'confirmed'>): Promise<string> {
    const r = (await this.run('kilatSetStatus', this.recordKeys(id), [STATUS_CODES[status], this.seqOf(id)])) as string;
    return STATUS_NAMES[r] ?? r;
  }

  async setPreferences(id: number, prefs: { locale: Locale; topics: string[] }): Promise<boolean> {
    const r = await this.run('kilatSetPreferences', this.recordKeys(id), [prefs.locale, prefs.topics.join(','), this.seqOf(id)]);
    return r === 'ok';
  }

  async get(id: number): Promise<Subscriber | undefined> {
    return (await this.getMany([id]))[0];
  }

  async findByEmail(email: string): Promise<Subscriber | undefined> {
    const id = await this.redis.hget(this.locate(email).emailKey, email);
    return id === null ? undefined : this.get(Number(id));
  }

  /** Confirmed ids of one shard and locale with `after < id <= upTo`, ascending, at most `limit`. */
  async activeIds(shard: number, locale: Locale, after: number, upTo: number | '+inf', limit: number): Promise<number[]> {
    const key = this.keys.active(shard, locale);
    // Sequence numbers whose ids fall in (after, upTo].
    let seq = Math.max(0, Math.floor((after - shard) / SUBSCRIBER_SHARDS) + 1);
    const last = upTo === '+inf' ? Infinity : Math.floor((upTo - shard) / SUBSCRIBER_SHARDS);
    const ids: number[] = [];
    // Read a few bytes more than a dense page needs, then more if the bits are sparse there.
    let chunk = Math.max(64, Math.ceil(limit / 8) + 8);
    while (ids.length < limit && seq <= last) {
      const firstByte = Math.floor(seq / 8);
      const lastByte = Math.min(firstByte + chunk - 1, Math.floor(last / 8));
      const bytes = await this.redis.getrangeBuffer(key, firstByte, lastByte);
      for (let i = 0; i < bytes.length && ids.length < limit; i++) {
        const byte = bytes[i]!;
        if (byte === 0) continue;
        for (let bit = 0; bit < 8 && ids.length < limit; bit++) {
          // Redis numbers bits from the most significant bit of byte 0.
          if ((byte & (0x80 >> bit)) === 0) continue;
          const s = (firstByte + i) * 8 + bit;
          if (s >= seq && s <= last) ids.push(s * SUBSCRIBER_SHARDS + shard);
        }
      }
      // Fewer bytes than asked for: the bitmap ends here.
      if (bytes.length < lastByte - firstByte + 1) break;
      seq = (lastByte + 1) * 8;
      chunk = Math.min(chunk * 2, 64 * 1024);
    }
    return ids;
  }

  async countActive(shard: number, locale: Locale, after: number, upTo: number): Promise<number> {
    const ids = await this.activeIds(shard, locale, after, upTo, Number.MAX_SAFE_INTEGER);
    return ids.length;
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
    const args: (string | number)[] = [mode, base36Seconds(now), shard, SUBSCRIBER_SHARDS];
    // One random draw per chunk, cut into 6-byte nonces: a million rows make no million syscalls.
    const random = randomBytes(6 * rows.length);
    rows.forEach((r, i) => args.push(r.email, r.locale, r.topics.join(','), random.toString('base64url', i * 6, i * 6 + 6)));
    const flat = (await this.run('kilatImport', [this.keys.idCounter(shard), this.shardPrefix(shard)], args)) as string[];
    const out: { id: number; outcome: ImportOutcome }[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ id: Number(flat[i]), outcome: flat[i + 1] as ImportOutcome });
    return out;
  }

  /** paused -> confirmed (back into fan-out); returns 'resumed', 'not_found' or the status it had. */
  async resume(id: number): Promise<string> {
    const r = (await this.run('kilatResume', this.recordKeys(id), [this.seqOf(id)])) as string;
    return STATUS_NAMES[r] ?? r;
  }

  /** bounced -> confirmed, for a bounce the circuit breaker found was the relay's; returns 'resumed', 'not_found' or the status it had. */
  async unbounce(id: number): Promise<string> {
    const r = (await this.run('kilatResume', this.recordKeys(id), [this.seqOf(id), STATUS_CODES.bounced])) as string;
    return STATUS_NAMES[r] ?? r;
  }

  /**
   * Removes a subscriber entirely (record, address index, active bit, soft-bounce count). With
   * `addressHash` (see DataRights) that keyed hash stays in the suppression set. False when there was none.
   */
  async erase(id: number, addressHash = '', now = Date.now()): Promise<boolean> {
    const shard = this.keys.shardOfId(id);
    // The digest-sent sets live three days, named by the day in TIME_ZONE: the dates of the days
    // around now in UTC cover every time zone.
    const days = [-1, 0, 1, 2, 3].map((d) => new Date(now - d * 86_400_000).toISOString().slice(0, 10));
    const keys = [
      ...this.recordKeys(id),
      this.keys.softBounces(shard),
      this.keys.suppressed(shard),
      this.keys.pendingChanges(shard),
      this.keys.digestSubscribers(shard),
      ...days.map((day) => this.keys.digestSent(shard, day)),
    ];
    return (await this.run('kilatErase', keys, [this.seqOf(id), id, addressHash, now])) === 1;
  }

  /** Deletes an address's sign-up counter (see AddressHasher.counterSubject), which would otherwise outlive its erased subscriber. */
  async dropAddressCounter(subject: string): Promise<void> {
    await this.redis.del(this.keys.rateLimitCounter(ADDRESS_LIMIT, subject));
  }

  /** One more temporary failure in a row for each id (all of one shard); returns the ids now suppressed. */
  async recordSoftBounces(shard: number, ids: number[], limit: number): Promise<number[]> {
    if (ids.length === 0) return [];
    const out = (await this.run('kilatSoftBounce', [this.keys.softBounces(shard), this.shardPrefix(shard)], [limit, shard, SUBSCRIBER_SHARDS, ...ids])) as string[];
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

  /** Every subscriber of one shard in id order, a page of record buckets at a time. */
  async *scanShard(shard: number, pageSize = 1000): AsyncGenerator<Subscriber[]> {
    const maxSeq = Number((await this.redis.get(this.keys.idCounter(shard))) ?? 0);
    const p = this.shardPrefix(shard);
    const bucketsPerPage = Math.max(1, Math.ceil(pageSize / RECORDS_PER_BUCKET));
    for (let b = 0; b <= Math.floor(maxSeq / RECORDS_PER_BUCKET); b += bucketsPerPage) {
      const pipeline = this.redis.pipeline();
      for (let i = b; i < b + bucketsPerPage; i++) pipeline.hgetall(`${p}r:${i}`).hgetall(`${p}rx:${i}`);
      const page: Subscriber[] = [];
      for (const [err, value] of (await pipeline.exec()) ?? []) {
        if (err) throw err;
        for (const [seq, packed] of Object.entries(value as Record<string, string>)) {
          const s = parseRecord(Number(seq) * SUBSCRIBER_SHARDS + shard, packed);
          if (s) page.push(s);
        }
      }
      page.sort((x, y) => x.id - y.id);
      if (page.length > 0) yield page;
    }
  }

  /** Records for ids (of any shards), one pipelined round trip per shard; a missing record comes back undefined. */
  async getMany(ids: number[]): Promise<(Subscriber | undefined)[]> {
    if (ids.length === 0) return [];
    const out: (Subscriber | undefined)[] = new Array(ids.length);
    // Per shard, per bucket: one HMGET of the bucket and one of its overflow bucket.
    const byShard = new Map<number, Map<number, number[]>>();
    ids.forEach((id, i) => {
      const shard = this.keys.shardOfId(id);
      const bucket = Math.floor(this.seqOf(id) / RECORDS_PER_BUCKET);
      let buckets = byShard.get(shard);
      if (!buckets) byShard.set(shard, (buckets = new Map()));
      let list = buckets.get(bucket);
      if (!list) buckets.set(bucket, (list = []));
      list.push(i);
    });
    // One pipeline per shard: on Redis Cluster a pipeline must stay within one slot's node.
    await Promise.all(
      [...byShard].map(async ([shard, buckets]) => {
        const p = this.shardPrefix(shard);
        const pipeline = this.redis.pipeline();
        const order: number[][] = [];
        for (const [bucket, positions] of buckets) {
          const fields = positions.map((i) => String(this.seqOf(ids[i]!)));
          pipeline.hmget(`${p}r:${bucket}`, ...fields).hmget(`${p}rx:${bucket}`, ...fields);
          order.push(positions);
        }
        const results = (await pipeline.exec()) ?? [];
        order.forEach((positions, k) => {
          const [e1, main] = results[2 * k]!;
          const [e2, overflow] = results[2 * k + 1]!;
          if (e1 || e2) throw e1 ?? e2;
          positions.forEach((pos, j) => {
            const packed = (main as (string | null)[])[j] ?? (overflow as (string | null)[])[j];
            out[pos] = packed ? parseRecord(ids[pos]!, packed) : undefined;
          });
        });
      }),
    );
    return out;
  }
}

function parseRecord(id: number, packed: string): Subscriber | undefined {
  const m = /^(.)([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|(.*)$/s.exec(packed);
  if (!m) return undefined;
  const [, st, locale, created, confirmed, nonce, topics, email] = m as unknown as string[];
  return {
    id,
    email: email!,
    locale: locale as Locale,
    topics: topics ? topics.split(',') : [],
    status: STATUS_NAMES[st!] ?? 'pending',
    createdAt: parseInt(created!, 36) * 1000,
    confirmedAt: confirmed ? parseInt(confirmed, 36) * 1000 : undefined,
    nonce: nonce!,
  };
}
