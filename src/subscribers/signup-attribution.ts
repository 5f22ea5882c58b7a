import type { Redis } from 'ioredis';
import type { Keys } from '../keys';
import { ScriptedStore } from '../redis-scripts';
import type { SignupOutcome } from './subscriber-store';
import { SIGNUP_KINDS, type SignupKind, type SignupStats } from './signup-stats';
import { SUBSCRIBER_SCRIPTS } from './subscriber-scripts';

/** Where a sign-up came from, as the sign-up path saw it. */
export interface SignupOrigin {
  kind: SignupKind;
  /** The embedding page (or the article URL the snippet gave); '' when unknown (a direct API call). */
  source: string;
}

/** What is kept with a subscriber: where the sign-up that brought them in came from. */
export interface SignupAttributionRecord extends SignupOrigin {
  locale: string;
  /** ISO time of that sign-up. */
  at: string;
}

/**
 * Attribution of each subscriber's sign-up, in its own hash per subscriber shard (same hash tag as
 * the subscriber records, field = subscriber id), so the subscriber record's format is untouched.
 * It also feeds the per-source counters of SignupStats. The write is commands/signup-attribution-1.lua.
 */
export class SignupAttribution extends ScriptedStore {
  constructor(private readonly deps: { redis: Redis; keys: Keys; stats: SignupStats }) {
    super(deps, SUBSCRIBER_SCRIPTS);
  }

  private key(id: number): string {
    return this.keys.signupSource(this.keys.shardOfId(id));
  }

  /**
   * A sign-up happened. A new reader (or one coming back after leaving) is attributed to this
   * source and counted; a sign-up of an address already on the list keeps its first attribution
   * and is not counted again, so the numbers are readers brought in, not forms sent.
   */
  async recordSignup(id: number, outcome: SignupOutcome, origin: SignupOrigin, locale: string, now = Date.now()): Promise<void> {
    const record: SignupAttributionRecord = { kind: origin.kind, source: origin.source, locale, at: new Date(now).toISOString() };
    const fresh = outcome === 'created' || outcome === 'resubscribe';
    // The same two commands whether the address was known or not (one script decides between
    // replacing and keeping): the sign-up's timing and Redis traffic must not tell an observer
    // which it was. Sent together: one round trip, not two.
    await Promise.all([
      this.run('signup-attribution', [this.key(id)], [String(id), JSON.stringify(record), fresh ? '1' : '0']),
      this.deps.stats.count('signups', origin.kind, origin.source, now, fresh ? 1 : 0),
    ]);
  }

  /** A subscriber confirmed for the first time: count it for the source that brought them in. */
  async recordConfirmation(id: number, now = Date.now()): Promise<void> {
    const r = await this.get(id);
    await this.deps.stats.count('confirmations', r?.kind ?? 'api', r?.source ?? '', now);
  }

  async get(id: number): Promise<SignupAttributionRecord | undefined> {
    const raw = await this.redis.hget(this.key(id), String(id));
    if (raw === null) return undefined;
    try {
      const v = JSON.parse(raw) as Partial<SignupAttributionRecord>;
      if (!(SIGNUP_KINDS as readonly unknown[]).includes(v.kind) || typeof v.source !== 'string') return undefined;
      return { kind: v.kind!, source: v.source, locale: String(v.locale ?? ''), at: String(v.at ?? '') };
    } catch {
      return undefined;
    }
  }

  /** Forgets a subscriber's attribution (erasure); the day counters hold no personal data and stay. */
  async erase(id: number): Promise<void> {
    await this.redis.hdel(this.key(id), String(id));
  }
}
