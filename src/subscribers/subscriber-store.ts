import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Locale } from '../config';
import { ADDRESS_LIMIT, RECORDS_PER_BUCKET, SUBSCRIBER_SHARDS, type Keys } from '../keys';
import { ScriptedStore } from '../redis-scripts';
import { ActiveSubscribers } from './active-subscribers';
import { BulkImport, type ImportOutcome, type ImportRow } from './bulk-import';
import { decodeRecord, joinTopics, pendingChangeFromReply, type PendingChange, type Subscriber, type SubscriberStatus } from './subscriber-record';
import { SUBSCRIBER_SCRIPTS } from './subscriber-scripts';
import { Suppression } from './suppression';

export type { ImportOutcome } from './bulk-import';
export type { PendingChange, Subscriber, SubscriberStatus } from './subscriber-record';

/** Where an unsubscribe came from (the audience page counts each): see set-status-3.lua. */
export const UNSUBSCRIBE_HOWS = ['one-click', 'footer', 'preferences', 'newsroom', 'other'] as const;
export type UnsubscribeHow = (typeof UNSUBSCRIBE_HOWS)[number];

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

/**
 * Subscribers in Redis (layout: src/keys.ts; record: commands/includes/record.lua, decoded by
 * subscriber-record.ts). The records and their life cycle are here; the confirmed-subscriber bitmaps, suppression and bulk import are
 * parts of their own, which this facade puts behind one object.
 */
export class SubscriberStore extends ScriptedStore {
  private readonly active: ActiveSubscribers;
  private readonly suppression: Suppression;
  private readonly bulk: BulkImport;

  constructor(deps: { redis: Redis; keys: Keys }) {
    super(deps, SUBSCRIBER_SCRIPTS);
    this.active = new ActiveSubscribers(deps);
    this.suppression = new Suppression(deps);
    this.bulk = new BulkImport(deps);
  }

  shardOfEmail(email: string): number {
    return this.keys.addressIndex(email).shard;
  }

  /** KEYS for a script on one record: its bucket, its overflow bucket and the shard prefix. */
  private recordKeys(id: number): string[] {
    const shard = this.keys.shardOfId(id);
    const bucket = Math.floor(this.keys.seqOf(id) / RECORDS_PER_BUCKET);
    return [this.keys.records(shard, bucket), this.keys.records(shard, bucket, true), this.keys.subscriberShard(shard)];
  }

  /**
   * One script whatever the address's state, so a known address costs what a new one does.
   * `addressHashes` (the keyed hashes of the address, see AddressHasher) find a complaint kept in
   * the suppression set after its record was deleted.
   */
  async signup(input: { email: string; locale: Locale; topics: string[] }, now = Date.now(), addressHashes: string[] = []): Promise<{ id: number; outcome: SignupOutcome }> {
    const { shard, key } = this.keys.addressIndex(input.email);
    const nonce = randomBytes(6).toString('base64url');
    const [id, outcome] = (await this.run(
      'signup',
      [key, this.keys.idCounter(shard), this.keys.subscriberShard(shard), this.keys.suppressed(shard), this.keys.pendingChanges(shard)],
      [input.email, input.locale, joinTopics(input.topics), nonce, now, shard, SUBSCRIBER_SHARDS, ...addressHashes],
    )) as [string, SignupOutcome];
    return { id: Number(id), outcome };
  }

  /** The choices of a later sign-up that wait for this subscriber's confirmation, if any. */
  async pendingChange(id: number): Promise<PendingChange | undefined> {
    const reply = (await this.run('read-pending-change', [this.keys.pendingChanges(this.keys.shardOfId(id))], [this.keys.seqOf(id)])) as [string, string, string] | null;
    return pendingChangeFromReply(reply);
  }

  async confirm(id: number, nonce: string, now = Date.now()): Promise<ConfirmOutcome> {
    return (await this.run('confirm', [...this.recordKeys(id), this.keys.pendingChanges(this.keys.shardOfId(id))], [nonce, now, this.keys.seqOf(id)])) as ConfirmOutcome;
  }

  /**
   * Moves a subscriber to a non-confirmed status; returns the previous status, or 'unchanged'/'not_found'.
   * `how` says where an unsubscribe came from, for the audience counters.
   */
  async setStatus(id: number, status: Exclude<SubscriberStatus, 'confirmed'>, opts: { how?: UnsubscribeHow; now?: number } = {}): Promise<string> {
    return (await this.run('set-status', this.recordKeys(id), [status, this.keys.seqOf(id), opts.now ?? Date.now(), opts.how ?? 'other'])) as string;
  }

  async setPreferences(id: number, prefs: { locale: Locale; topics: string[] }): Promise<boolean> {
    return (await this.run('set-preferences', this.recordKeys(id), [prefs.locale, joinTopics(prefs.topics), this.keys.seqOf(id)])) === 'ok';
  }

  /** paused -> confirmed (back into fan-out); returns 'resumed', 'not_found' or the status it had. */
  async resume(id: number, now = Date.now()): Promise<string> {
    return (await this.run('resume', this.recordKeys(id), [this.keys.seqOf(id), 'paused', now])) as string;
  }

  /** bounced -> confirmed, for a bounce the circuit breaker found was the relay's; returns 'resumed', 'not_found' or the status it had. */
  async unbounce(id: number, now = Date.now()): Promise<string> {
    return (await this.run('resume', this.recordKeys(id), [this.keys.seqOf(id), 'bounced', now])) as string;
  }

  /**
   * One more copy accepted by the relay for each id (all of one shard): one script call per group
   * of ids, which the batch sender issues beside its ledger write (see send-batch.ts).
   */
  async countReceived(shard: number, ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.run('count-received', [this.keys.subscriberShard(shard)], [shard, SUBSCRIBER_SHARDS, ...ids]);
  }

  /** What the newsroom's lookup shows beside the record: copies received and the last bounce or complaint. */
  async history(id: number): Promise<{ received: number; lastBounce?: { at: number; kind: 'hard' | 'soft' | 'complaint' } }> {
    const seq = this.keys.seqOf(id);
    const shard = this.keys.shardOfId(id);
    const [received, bounce] = await Promise.all([this.redis.hget(this.keys.received(shard, Math.floor(seq / RECORDS_PER_BUCKET)), String(seq)), this.redis.hget(this.keys.lastBounce(shard), String(seq))]);
    const m = bounce ? /^(\d+)\|(hard|soft|complaint)$/.exec(bounce) : null;
    return { received: Number(received ?? 0), lastBounce: m ? { at: Number(m[1]), kind: m[2] as 'hard' | 'soft' | 'complaint' } : undefined };
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
    return (await this.run('erase', keys, [this.keys.seqOf(id), id, addressHash, now])) === 1;
  }

  /** Deletes an address's sign-up counter (see AddressHasher.counterSubject), which would otherwise outlive its erased subscriber. */
  async dropAddressCounter(subject: string): Promise<void> {
    await this.redis.del(this.keys.rateLimitCounter(ADDRESS_LIMIT, subject));
  }

  async get(id: number): Promise<Subscriber | undefined> {
    return (await this.getMany([id]))[0];
  }

  async findByEmail(email: string): Promise<Subscriber | undefined> {
    const id = await this.redis.hget(this.keys.addressIndex(email).key, email);
    return id === null ? undefined : this.get(Number(id));
  }

  /** Records for ids (of any shards), one pipelined round trip per shard; a missing record comes back undefined. */
  async getMany(ids: number[]): Promise<(Subscriber | undefined)[]> {
    if (ids.length === 0) return [];
    const out: (Subscriber | undefined)[] = new Array(ids.length);
    // Per shard, per bucket: one HMGET of the bucket and one of its overflow bucket.
    const byShard = new Map<number, Map<number, number[]>>();
    ids.forEach((id, i) => {
      const shard = this.keys.shardOfId(id);
      const bucket = Math.floor(this.keys.seqOf(id) / RECORDS_PER_BUCKET);
      let buckets = byShard.get(shard);
      if (!buckets) byShard.set(shard, (buckets = new Map()));
      let list = buckets.get(bucket);
      if (!list) buckets.set(bucket, (list = []));
      list.push(i);
    });
    // One pipeline per shard: on Redis Cluster a pipeline must stay within one slot's node.
    await Promise.all(
      [...byShard].map(async ([shard, buckets]) => {
        const pipeline = this.redis.pipeline();
        const order: number[][] = [];
        for (const [bucket, positions] of buckets) {
          const fields = positions.map((i) => String(this.keys.seqOf(ids[i]!)));
          pipeline.hmget(this.keys.records(shard, bucket), ...fields).hmget(this.keys.records(shard, bucket, true), ...fields);
          order.push(positions);
        }
        const results = (await pipeline.exec()) ?? [];
        order.forEach((positions, k) => {
          const [e1, main] = results[2 * k]!;
          const [e2, overflow] = results[2 * k + 1]!;
          if (e1 || e2) throw e1 ?? e2;
          positions.forEach((pos, j) => {
            const packed = (main as (string | null)[])[j] ?? (overflow as (string | null)[])[j];
            out[pos] = packed ? decodeRecord(ids[pos]!, packed) : undefined;
          });
        });
      }),
    );
    return out;
  }

  /** Every subscriber of one shard in id order, a page of record buckets at a time. */
  async *scanShard(shard: number, pageSize = 1000): AsyncGenerator<Subscriber[]> {
    const maxSeq = Number((await this.redis.get(this.keys.idCounter(shard))) ?? 0);
    const bucketsPerPage = Math.max(1, Math.ceil(pageSize / RECORDS_PER_BUCKET));
    for (let b = 0; b <= Math.floor(maxSeq / RECORDS_PER_BUCKET); b += bucketsPerPage) {
      const pipeline = this.redis.pipeline();
      for (let i = b; i < b + bucketsPerPage; i++) pipeline.hgetall(this.keys.records(shard, i)).hgetall(this.keys.records(shard, i, true));
      const page: Subscriber[] = [];
      for (const [err, value] of (await pipeline.exec()) ?? []) {
        if (err) throw err;
        for (const [seq, packed] of Object.entries(value as Record<string, string>)) {
          const s = decodeRecord(Number(seq) * SUBSCRIBER_SHARDS + shard, packed);
          if (s) page.push(s);
        }
      }
      page.sort((x, y) => x.id - y.id);
      if (page.length > 0) yield page;
    }
  }

  // The parts, behind the store's own methods so callers need one object.

  /** Confirmed ids of one shard and locale with `after < id <= upTo`, ascending, at most `limit`. */
  activeIds(shard: number, locale: Locale, after: number, upTo: number | '+inf', limit: number): Promise<number[]> {
    return this.active.ids(shard, locale, after, upTo, limit);
  }

  countActive(shard: number, locale: Locale, after: number, upTo: number): Promise<number> {
    return this.active.count(shard, locale, after, upTo);
  }

  /** See BulkImport.importConfirmed. */
  importConfirmed(rows: ImportRow[], now = Date.now()): Promise<number> {
    return this.bulk.importConfirmed(rows, now);
  }

  /** See BulkImport.importBatch. */
  importBatch(shard: number, rows: ImportRow[], mode: 'pending' | 'confirmed', now = Date.now()): Promise<{ id: number; outcome: ImportOutcome }[]> {
    return this.bulk.importBatch(shard, rows, mode, now);
  }

  /** One more temporary failure in a row for each id (all of one shard); returns the ids now suppressed. */
  recordSoftBounces(shard: number, ids: number[], limit: number, now = Date.now()): Promise<number[]> {
    return this.suppression.recordSoftBounces(shard, ids, limit, now);
  }

  /** A delivery ends a run of soft bounces. */
  clearSoftBounces(shard: number, ids: number[]): Promise<void> {
    return this.suppression.clearSoftBounces(shard, ids);
  }

  softBounceCount(id: number): Promise<number> {
    return this.suppression.softBounceCount(id);
  }

  /** Adds an address hash to the suppression set of the address's shard (first reason wins). */
  suppressHash(email: string, addressHash: string, reason: string, now = Date.now()): Promise<void> {
    return this.suppression.suppressHash(email, addressHash, reason, now);
  }

  /** The suppression entry among `addressHashes` (one per signing key) for an address, if any. */
  suppressionOf(email: string, addressHashes: string[]): Promise<string | undefined> {
    return this.suppression.suppressionOf(email, addressHashes);
  }

  unsuppressHashes(email: string, addressHashes: string[]): Promise<void> {
    return this.suppression.unsuppressHashes(email, addressHashes);
  }
}
