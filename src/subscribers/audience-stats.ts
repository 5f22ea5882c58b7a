import type { Redis } from 'ioredis';
import { SUBSCRIBER_SHARDS, type Keys } from '../keys';
import { daysBetween } from './signup-stats';
import type { SubscriberStatus } from './subscriber-record';
import { UNSUBSCRIBE_HOWS, type UnsubscribeHow } from './subscriber-store';

/** The status letters of the counters (`st:<code>`), as record.lua writes them. */
export const STATUS_CODES: Record<SubscriberStatus, string> = { pending: 'p', confirmed: 'c', paused: 'z', unsubscribed: 'u', bounced: 'b', complained: 'x' };
export const STATUSES = Object.keys(STATUS_CODES) as SubscriberStatus[];

export interface AudienceTotals {
  /** Every record by status. */
  byStatus: Record<SubscriberStatus, number>;
  total: number;
  /** Confirmed subscribers by locale. */
  byLocale: Record<string, number>;
  /** Confirmed subscribers who chose each topic. */
  byTopic: Record<string, number>;
  /** Confirmed subscribers who chose no topic: they get every alert. */
  allTopics: number;
}

export interface AudienceDay {
  day: string;
  signups: number;
  confirmations: number;
  imports: number;
  unsubscribes: Record<UnsubscribeHow, number> & { total: number };
  bounces: number;
  complaints: number;
  deletions: number;
}

/** The counters of one shard's `stats` hash, without the zeros a decrement leaves behind. */
export type ShardCounters = Record<string, number>;

/**
 * The audience figures of /admin/subscribers and GET /api/stats/audience, read from the counters
 * the subscriber scripts keep as events happen (commands/includes/audience.lua): sixteen HGETALLs
 * for the totals, one pipeline per shard for a range of days; never a scan of the records.
 */
export class AudienceStats {
  constructor(private readonly deps: { redis: Redis; keys: Keys }) {}

  statsKey(shard: number): string {
    return this.deps.keys.audienceTotals(shard);
  }

  dayKey(shard: number, day: string): string {
    return this.deps.keys.audienceDay(shard, day);
  }

  /** One shard's counters (the recount compares them with the records). */
  async shardCounters(shard: number): Promise<ShardCounters> {
    return nonZero(await this.deps.redis.hgetall(this.statsKey(shard)));
  }

  async totals(): Promise<AudienceTotals> {
    const shards = await Promise.all(Array.from({ length: SUBSCRIBER_SHARDS }, (_, s) => this.shardCounters(s)));
    return totalsOf(shards);
  }

  /** One row per UTC day from `from` to `to` (YYYY-MM-DD, inclusive), zeros included. */
  async daily(from: string, to: string): Promise<AudienceDay[]> {
    const days = daysBetween(from, to);
    const sums = days.map(() => new Map<string, number>());
    // One pipeline per shard: on Redis Cluster a pipeline stays within one hash tag.
    await Promise.all(
      Array.from({ length: SUBSCRIBER_SHARDS }, async (_, shard) => {
        const pipeline = this.deps.redis.pipeline();
        for (const day of days) pipeline.hgetall(this.dayKey(shard, day));
        const results = (await pipeline.exec()) ?? [];
        results.forEach(([err, value], i) => {
          if (err) throw err;
          for (const [field, n] of Object.entries(value as Record<string, string>)) sums[i]!.set(field, (sums[i]!.get(field) ?? 0) + Number(n));
        });
      }),
    );
    return days.map((day, i) => {
      const get = (f: string) => Math.max(0, sums[i]!.get(f) ?? 0);
      const unsubscribes = Object.fromEntries(UNSUBSCRIBE_HOWS.map((h) => [h, get(`unsub:${h}`)])) as Record<UnsubscribeHow, number>;
      return {
        day,
        signups: get('signup'),
        confirmations: get('confirm'),
        imports: get('import'),
        unsubscribes: { ...unsubscribes, total: UNSUBSCRIBE_HOWS.reduce((n, h) => n + unsubscribes[h], 0) },
        bounces: get('bounce'),
        complaints: get('complaint'),
        deletions: get('delete'),
      };
    });
  }
}

export function nonZero(hash: Record<string, string>): ShardCounters {
  const out: ShardCounters = {};
  for (const [field, value] of Object.entries(hash)) if (Number(value) !== 0) out[field] = Number(value);
  return out;
}

/** The totals of the shards' counters (or of a recount's, which has the same shape). */
export function totalsOf(shards: ShardCounters[]): AudienceTotals {
  const byStatus = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<SubscriberStatus, number>;
  const byLocale: Record<string, number> = {};
  const byTopic: Record<string, number> = {};
  let allTopics = 0;
  const codeToStatus = Object.fromEntries(STATUSES.map((s) => [STATUS_CODES[s], s]));
  for (const counters of shards) {
    for (const [field, n] of Object.entries(counters)) {
      const [kind, name] = [field.slice(0, field.indexOf(':')), field.slice(field.indexOf(':') + 1)];
      if (kind === 'st' && codeToStatus[name]) byStatus[codeToStatus[name] as SubscriberStatus] += n;
      else if (kind === 'loc') byLocale[name] = (byLocale[name] ?? 0) + n;
      else if (kind === 'top' && name === '') allTopics += n;
      else if (kind === 'top') byTopic[name] = (byTopic[name] ?? 0) + n;
    }
  }
  return { byStatus, total: STATUSES.reduce((n, s) => n + byStatus[s], 0), byLocale, byTopic, allTopics };
}
