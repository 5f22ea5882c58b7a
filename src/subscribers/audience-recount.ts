import type { Redis } from 'ioredis';
import { SUBSCRIBER_SHARDS, type Keys } from '../keys';
import { ScriptedStore } from '../redis-scripts';
import { AudienceStats, STATUS_CODES, totalsOf, type AudienceTotals, type ShardCounters } from './audience-stats';
import type { Subscriber, SubscriberStore } from './subscriber-store';
import { SUBSCRIBER_SCRIPTS } from './subscriber-scripts';

export interface CounterDifference {
  shard: number;
  field: string;
  counter: number;
  records: number;
}

export interface RecountReport {
  /** What the counters said (before any repair). */
  counters: AudienceTotals;
  /** What the records say. */
  records: AudienceTotals;
  differences: CounterDifference[];
  /** Shards whose counters were replaced by the recount (with `repair`). */
  repaired: number[];
  /** Records read. */
  scanned: number;
}

/** How often a shard is scanned again when its counters moved during the scan. */
const ATTEMPTS = 5;

/** The counters one record adds to its shard's totals (the same rule as tally() in audience.lua). */
export function countRecord(counters: ShardCounters, s: Subscriber): void {
  const add = (field: string) => (counters[field] = (counters[field] ?? 0) + 1);
  add(`st:${STATUS_CODES[s.status]}`);
  if (s.status !== 'confirmed') return;
  add(`loc:${s.locale}`);
  if (s.topics.length === 0) add('top:');
  for (const t of s.topics) add(`top:${t}`);
}

/**
 * `kilat stats recount`: reads every record, a page of record buckets at a time, and compares
 * what they add up to with the counters; with `repair`, a shard whose counters disagree gets the
 * recount, atomically and only if no event moved its counters meanwhile (else it is read again).
 * For counters that predate them (an upgrade) or were lost; the page never does this.
 */
export class AudienceRecount extends ScriptedStore {
  private readonly stats: AudienceStats;

  constructor(private readonly deps: { redis: Redis; keys: Keys; subscribers: SubscriberStore }) {
    super(deps, SUBSCRIBER_SCRIPTS);
    this.stats = new AudienceStats(deps);
  }

  async recount(opts: { repair?: boolean; pageSize?: number } = {}): Promise<RecountReport> {
    const counterShards: ShardCounters[] = [];
    const recordShards: ShardCounters[] = [];
    const differences: CounterDifference[] = [];
    const repaired: number[] = [];
    let scanned = 0;
    for (let shard = 0; shard < SUBSCRIBER_SHARDS; shard++) {
      for (let attempt = 1; ; attempt++) {
        const before = await this.stats.shardCounters(shard);
        const counted: ShardCounters = {};
        let n = 0;
        for await (const page of this.deps.subscribers.scanShard(shard, opts.pageSize ?? 1000)) {
          for (const s of page) countRecord(counted, s);
          n += page.length;
        }
        const diff = compare(shard, before, counted);
        if (diff.length > 0 && opts.repair) {
          const r = await this.run('stats-repair', [this.stats.statsKey(shard)], [JSON.stringify(before), JSON.stringify(counted)]);
          if (r === 'changed' && attempt < ATTEMPTS) continue;
          if (r === 'changed') throw new Error(`the counters of shard ${shard} kept changing during ${ATTEMPTS} recounts; run it again when sign-ups are quieter`);
          repaired.push(shard);
        } else if (diff.length > 0 && attempt < ATTEMPTS && !equal(before, await this.stats.shardCounters(shard))) {
          // Events moved the counters during the scan: the difference may be theirs, look again.
          continue;
        }
        counterShards.push(before);
        recordShards.push(counted);
        differences.push(...diff);
        scanned += n;
        break;
      }
    }
    return { counters: totalsOf(counterShards), records: totalsOf(recordShards), differences, repaired, scanned };
  }
}

function compare(shard: number, counters: ShardCounters, records: ShardCounters): CounterDifference[] {
  const fields = [...new Set([...Object.keys(counters), ...Object.keys(records)])].sort();
  return fields.filter((f) => (counters[f] ?? 0) !== (records[f] ?? 0)).map((field) => ({ shard, field, counter: counters[field] ?? 0, records: records[field] ?? 0 }));
}

function equal(a: ShardCounters, b: ShardCounters): boolean {
  return compare(0, a, b).length === 0;
}
