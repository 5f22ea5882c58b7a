import type { Redis } from 'ioredis';
import type { Keys } from '../keys';
import { ScriptedStore } from '../redis-scripts';
import { SUBSCRIBER_SCRIPTS } from './subscriber-scripts';

/** Which embed (or page) a sign-up came through. */
export const SIGNUP_KINDS = ['page', 'form', 'iframe', 'script', 'api'] as const;
export type SignupKind = (typeof SIGNUP_KINDS)[number];

export interface SignupStatsRow {
  day: string;
  source: string;
  kind: SignupKind;
  signups: number;
  confirmations: number;
}

/** Distinct (kind, source) pairs kept per day; later ones are counted under OTHER_SOURCE. */
export const MAX_SOURCES_PER_DAY = 2000;
export const OTHER_SOURCE = '(other)';
/** Days of counters kept (a little over a year). */
const KEEP_SECONDS = 400 * 86400;
export const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Sign-ups and confirmations per source, form kind and day (the newsroom's TIME_ZONE), counted as
 * they happen: reading a range is one HGETALL per day, never a scan of subscribers. The keys are
 * named for sign-up attribution (`{signup-attribution}:day:<date>`, keys.signupDay) so generic
 * audience counters can sit beside them. One hash per day, field `<metric>|<kind>|<source>`, capped
 * at MAX_SOURCES_PER_DAY fields by commands/signup-count-1.lua.
 */
export class SignupStats extends ScriptedStore {
  private readonly dayFormat: Intl.DateTimeFormat;

  constructor(deps: { redis: Redis; keys: Keys; timeZone: string }) {
    super(deps, SUBSCRIBER_SCRIPTS);
    this.dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: deps.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  }

  /** YYYY-MM-DD of `ms` in the newsroom's time zone. */
  dayOf(ms: number): string {
    return this.dayFormat.format(new Date(ms));
  }

  /** Adds `by` (0 still makes the round trip: callers use it to keep equal work on both branches). */
  async count(metric: 'signups' | 'confirmations', kind: SignupKind, source: string, now = Date.now(), by = 1): Promise<void> {
    await this.run('signup-count', [this.keys.signupDay(this.dayOf(now))], [metric === 'signups' ? 's' : 'c', kind, source, MAX_SOURCES_PER_DAY, OTHER_SOURCE, KEEP_SECONDS, by]);
  }

  /** Every (day, source, kind) with a sign-up or confirmation from `from` to `to` (inclusive, YYYY-MM-DD). */
  async range(from: string, to: string): Promise<SignupStatsRow[]> {
    const days = daysBetween(from, to);
    const hashes = await Promise.all(days.map((d) => this.redis.hgetall(this.keys.signupDay(d))));
    const rows: SignupStatsRow[] = [];
    days.forEach((day, i) => {
      const byPair = new Map<string, SignupStatsRow>();
      for (const [field, value] of Object.entries(hashes[i] ?? {})) {
        const m = /^([sc])\|([a-z]+)\|(.*)$/s.exec(field);
        if (!m || !(SIGNUP_KINDS as readonly string[]).includes(m[2]!)) continue;
        const pair = `${m[2]}|${m[3]}`;
        let row = byPair.get(pair);
        if (!row) byPair.set(pair, (row = { day, source: m[3]!, kind: m[2] as SignupKind, signups: 0, confirmations: 0 }));
        if (m[1] === 's') row.signups += Number(value);
        else row.confirmations += Number(value);
      }
      rows.push(...[...byPair.values()].sort((a, b) => b.signups - a.signups || b.confirmations - a.confirmations || a.source.localeCompare(b.source)));
    });
    return rows;
  }
}

/** The calendar days from `from` to `to` inclusive (both YYYY-MM-DD); empty when `to` is before `from`. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end; t += 86400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}
