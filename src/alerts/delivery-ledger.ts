import type { Redis } from 'ioredis';
import type { Keys } from '../keys';
import { ScriptedStore } from '../redis-scripts';
import { ALERT_SCRIPTS } from './alert-scripts';

export type Outcome = 'sent' | 'failed' | 'skipped';

/** What one hard bounce did, decided with the circuit breaker in one script. */
export type HardBounceVerdict =
  /** Recorded as failed: suppress the address. */
  | { kind: 'suppress' }
  /** This bounce tripped the breaker: the alert is paused, `undo` are the ids to un-suppress, `reopen` the finished batches that owe them. */
  | { kind: 'tripped'; trip: number; undo: number[]; reopen: BatchRef[] }
  /** The alert is no longer sending (paused, cancelled), or was resumed since the run began: nothing recorded, the recipient is still owed. */
  | { kind: 'held' }
  /** The recipient already had an outcome. */
  | { kind: 'settled' };

export interface BatchRef {
  shard: number;
  /** Exclusive lower bound of the subscriber-id range. */
  after: number;
  /** Inclusive upper bound of the subscriber-id range. */
  upTo: number;
  /** Recipients the fan-out counted in the range. */
  count: number;
}

export const batchKey = (b: BatchRef) => `${b.shard}:${b.after}:${b.upTo}`;

/**
 * `resumes` below is the alert's resume count when the batch run read the alert (AlertRecord.resumes):
 * the breakers take a run's evidence only while the alert has not been resumed since, so an answer
 * to a send made before a pause cannot pause the resumed alert or count against a reader
 * (commands/includes/run-is-current.lua).
 *
 * Who of an alert's recipients got it: three bitmaps indexed by subscriber id (sent, failed,
 * skipped; 125 KB each per million subscribers), so marking and checking are O(1) each, all under
 * the alert's {a<id>} hash tag. Beside them the relay's breakers that read the ledger: the hard-
 * bounce circuit breaker, the run of relay refusals and the deferrals, each of which may pause
 * the alert (see their scripts in commands/).
 */
export class DeliveryLedger extends ScriptedStore {
  constructor(deps: { redis: Redis; keys: Keys }) {
    super(deps, ALERT_SCRIPTS);
  }

  /**
   * One hard bounce, through the circuit breaker (see commands/hard-bounce-9.lua). `reason` is the pause reason
   * should this bounce trip it; `{n}` in it becomes the number of bounces undone.
   */
  async hardBounce(id: string, subscriberId: number, batch: BatchRef, opts: { limit: number; reason: string; resumes: number }, now = Date.now()): Promise<HardBounceVerdict> {
    const keys = [
      this.keys.alert(id),
      ...this.ledgerKeys(id),
      this.keys.alertBreaker(id, 'burst'),
      this.keys.alertBreaker(id, 'burst-batches'),
      this.keys.batchesDone(id),
      this.keys.alertBreaker(id, 'reopened'),
      this.keys.alertBreaker(id, 'unbounced'),
    ];
    const r = (await this.run('hard-bounce', keys, [subscriberId, batchKey(batch), JSON.stringify(batch), opts.limit, opts.reason.slice(0, 500), now, opts.resumes])) as string[];
    if (r[0] === 'tripped') {
      return { kind: 'tripped', trip: Number(r[1]), undo: r[2] ? r[2].split(',').map(Number) : [], reopen: JSON.parse(r[3]!) as BatchRef[] };
    }
    return { kind: r[0] as 'suppress' | 'held' | 'settled' };
  }

  /** One recipient refused by the relay for its own reasons; see commands/relay-refusal-1.lua. */
  async relayRefusal(id: string, limit: number, reason: string, resumes: number, now = Date.now()): Promise<'paused' | 'counted' | 'held'> {
    return (await this.run('relay-refusal', [this.keys.alert(id)], [limit, reason.slice(0, 500), now, resumes])) as 'paused' | 'counted' | 'held';
  }

  /** How many of a batch's recipients its latest attempt left deferred; see commands/note-deferrals-2.lua. */
  async noteDeferrals(id: string, batch: BatchRef, n: number, resumes: number): Promise<void> {
    await this.run('note-deferrals', [this.keys.alert(id), this.keys.alertBreaker(id, 'deferring')], [batchKey(batch), n, resumes]);
  }

  /** `n` recipients still deferred at a batch's last attempt; see commands/deferred-at-last-2.lua. */
  async deferredAtLast(id: string, batch: BatchRef, n: number, min: number, reason: string, resumes: number, now = Date.now()): Promise<'paused' | 'soft' | 'held'> {
    const keys = [this.keys.alert(id), this.keys.alertBreaker(id, 'deferring')];
    return (await this.run('deferred-at-last', keys, [batchKey(batch), n, min, reason.slice(0, 500), now, resumes])) as 'paused' | 'soft' | 'held';
  }

  /** Whether a breaker trip undid this subscriber's bounce after it was recorded (then its suppression must go too). */
  async wasUnbounced(id: string, subscriberId: number): Promise<boolean> {
    return (await this.redis.sismember(this.keys.alertBreaker(id, 'unbounced'), String(subscriberId))) === 1;
  }

  /** The reopened batches of breaker trip `trip` are queued again. */
  async reopenQueued(id: string, trip: number): Promise<void> {
    await this.run('reopen-queued', [this.keys.alert(id)], [trip]);
  }

  /** Ids among `ids` that have no outcome in the ledger yet (what a retried batch still owes). */
  async unsettled(id: string, ids: number[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const out = (await this.run('unsettled', this.ledgerKeys(id), ids)) as string[];
    return out.map(Number);
  }

  /** The ids among `ids` that this alert was delivered to (one call per batch; see commands/sent-among-1.lua). */
  async sentAmong(id: string, ids: number[]): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const out = (await this.run('sent-among', [this.keys.ledger(id, 'sent')], ids)) as string[];
    return new Set(out.map(Number));
  }

  /** Records an outcome for recipients that have none yet; returns how many were new. */
  async record(id: string, outcome: Outcome, ids: number[], now = Date.now()): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.run('record-outcome', this.recordKeys(id), [outcome, now, 'count', ...ids])) as number;
  }

  /** Records an outcome for recipients that have none yet; returns those ids (each is recorded once per alert). */
  async recordNew(id: string, outcome: Outcome, ids: number[], now = Date.now()): Promise<number[]> {
    if (ids.length === 0) return [];
    return ((await this.run('record-outcome', this.recordKeys(id), [outcome, now, 'ids', ...ids])) as string[]).map(Number);
  }

  private recordKeys(id: string): string[] {
    return [this.keys.alert(id), ...this.ledgerKeys(id), this.keys.alertBreaker(id, 'burst'), this.keys.alertBreaker(id, 'burst-batches')];
  }

  private ledgerKeys(id: string): [string, string, string] {
    return [this.keys.ledger(id, 'sent'), this.keys.ledger(id, 'failed'), this.keys.ledger(id, 'skipped')];
  }
}
