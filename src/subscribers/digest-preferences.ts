import type { Redis } from 'ioredis';
import type { Keys } from '../keys';

export type Frequency = 'breaking' | 'digest';
export const FREQUENCIES: readonly Frequency[] = ['breaking', 'digest'];

/**
 * Who chose the daily digest over every breaking alert: a set of ids per subscriber shard, beside
 * the subscriber records (same hash tag). "Every breaking alert" is the default and is not stored.
 */
export class DigestPreferences {
  constructor(private readonly deps: { redis: Redis; keys: Keys }) {}

  private key(id: number): string {
    return this.deps.keys.digestSubscribers(this.deps.keys.shardOfId(id));
  }

  async set(id: number, frequency: Frequency): Promise<void> {
    if (frequency === 'digest') await this.deps.redis.sadd(this.key(id), String(id));
    else await this.deps.redis.srem(this.key(id), String(id));
  }

  async get(id: number): Promise<Frequency> {
    return (await this.deps.redis.sismember(this.key(id), String(id))) === 1 ? 'digest' : 'breaking';
  }

  /** Among `ids` (all of one shard), those who take the digest: one round trip per batch. */
  async digestAmong(shard: number, ids: number[]): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const flags = await this.deps.redis.smismember(this.deps.keys.digestSubscribers(shard), ...ids.map(String));
    return new Set(ids.filter((_, i) => flags[i] === 1));
  }

  /** One shard's digest ids, a page at a time. */
  async *scan(shard: number, pageSize = 1000): AsyncGenerator<number[]> {
    let cursor = '0';
    do {
      const [next, members] = await this.deps.redis.sscan(this.deps.keys.digestSubscribers(shard), cursor, 'COUNT', pageSize);
      cursor = next;
      if (members.length > 0) yield members.map(Number);
    } while (cursor !== '0');
  }

  async forget(ids: number[], shard: number): Promise<void> {
    if (ids.length > 0) await this.deps.redis.srem(this.deps.keys.digestSubscribers(shard), ...ids.map(String));
  }
}
