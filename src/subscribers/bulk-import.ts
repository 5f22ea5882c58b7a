import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Locale } from '../config';
import { SUBSCRIBER_SHARDS, type Keys } from '../keys';
import { ScriptedStore } from '../redis-scripts';
import { joinTopics } from './subscriber-record';
import { SUBSCRIBER_SCRIPTS } from './subscriber-scripts';

export type ImportOutcome = 'created' | 'confirmed' | 'exists' | 'opted_out';
export interface ImportRow {
  email: string;
  locale: Locale;
  topics: string[];
}

/** Many addresses at once (a CSV import, another system's list, the benchmark's seed): one script call per shard. */
export class BulkImport extends ScriptedStore {
  constructor(deps: { redis: Redis; keys: Keys }) {
    super(deps, SUBSCRIBER_SCRIPTS);
  }

  /**
   * Adds already-confirmed subscribers, all shards' calls in flight at once. Addresses must be
   * normalised; known ones are left as they are. Returns how many were added.
   */
  async importConfirmed(rows: ImportRow[], now = Date.now()): Promise<number> {
    const byShard = new Map<number, ImportRow[]>();
    for (const row of rows) {
      const { shard } = this.keys.addressIndex(row.email);
      let list = byShard.get(shard);
      if (!list) byShard.set(shard, (list = []));
      list.push(row);
    }
    const results = await Promise.all([...byShard].map(([shard, list]) => this.importBatch(shard, list, 'confirmed', now)));
    return results.flat().filter((r) => r.outcome === 'created').length;
  }

  /**
   * Adds many addresses of ONE shard in one script call. `confirmed` mode makes new and pending
   * addresses confirmed at once; otherwise they are pending and need a confirmation email.
   */
  async importBatch(shard: number, rows: ImportRow[], mode: 'pending' | 'confirmed', now = Date.now()): Promise<{ id: number; outcome: ImportOutcome }[]> {
    if (rows.length === 0) return [];
    const args: (string | number)[] = [mode, now, shard, SUBSCRIBER_SHARDS];
    // One random draw per chunk, cut into 6-byte nonces: a million rows make no million syscalls.
    const random = randomBytes(6 * rows.length);
    rows.forEach((r, i) => args.push(r.email, r.locale, joinTopics(r.topics), random.toString('base64url', i * 6, i * 6 + 6)));
    const flat = (await this.run('import', [this.keys.idCounter(shard), this.keys.subscriberShard(shard)], args)) as string[];
    const out: { id: number; outcome: ImportOutcome }[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ id: Number(flat[i]), outcome: flat[i + 1] as ImportOutcome });
    return out;
  }
}
