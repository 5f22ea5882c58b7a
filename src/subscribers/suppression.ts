import type { Redis } from 'ioredis';
import { SUBSCRIBER_SHARDS, type Keys } from '../keys';
import { ScriptedStore } from '../redis-scripts';
import { SUBSCRIBER_SCRIPTS } from './subscriber-scripts';

/**
 * Who must not be mailed: the suppression set of each shard (keyed address hashes -> `reason:ms`,
 * kept after a subscriber's data is deleted) and the runs of temporary failures that end in one.
 */
export class Suppression extends ScriptedStore {
  constructor(deps: { redis: Redis; keys: Keys }) {
    super(deps, SUBSCRIBER_SCRIPTS);
  }

  /** One more temporary failure in a row for each id (all of one shard); returns the ids now suppressed. */
  async recordSoftBounces(shard: number, ids: number[], limit: number, now = Date.now()): Promise<number[]> {
    if (ids.length === 0) return [];
    const out = (await this.run('soft-bounce', [this.keys.softBounces(shard), this.keys.subscriberShard(shard)], [limit, shard, SUBSCRIBER_SHARDS, now, ...ids])) as string[];
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

  /** Adds an address hash to the suppression set of the address's shard (first reason wins). */
  async suppressHash(email: string, addressHash: string, reason: string, now = Date.now()): Promise<void> {
    await this.redis.hsetnx(this.suppressedOf(email), addressHash, `${reason}:${now}`);
  }

  /** The suppression entry among `addressHashes` (one per signing key) for an address, if any. */
  async suppressionOf(email: string, addressHashes: string[]): Promise<string | undefined> {
    const found = await this.redis.hmget(this.suppressedOf(email), ...addressHashes);
    return found.find((v): v is string => v !== null);
  }

  async unsuppressHashes(email: string, addressHashes: string[]): Promise<void> {
    await this.redis.hdel(this.suppressedOf(email), ...addressHashes);
  }

  private suppressedOf(email: string): string {
    return this.keys.suppressed(this.keys.addressIndex(email).shard);
  }
}
