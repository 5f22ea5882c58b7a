import type { Redis } from 'ioredis';
import type { Keys } from '../keys';
import { AlertOutcomeCounters } from './alert-outcomes';
import { AlertRecords } from './alert-record';
import { DeliveryLedger, type BatchRef, type HardBounceVerdict, type Outcome } from './delivery-ledger';

export type { AlertAction, AlertRecord, AlertState, AlertStatus, ControlResult, FollowUp } from './alert-record';
export { THREAD_MAX } from './alert-record';
export { batchKey } from './delivery-ledger';
export type { BatchRef, HardBounceVerdict, Outcome } from './delivery-ledger';
export type { AlertOutcomes, ReaderOutcome } from './alert-outcomes';

/**
 * Alerts in Redis: the alert record and its state machine (AlertRecords, alert-record.ts) and,
 * behind the same object, the delivery ledger with the relay's breakers (delivery-ledger.ts).
 */
export class AlertStore extends AlertRecords {
  private readonly ledger: DeliveryLedger;
  /** What readers did after each alert (unsubscribes, bounces, complaints, clicks), counted as it happens. */
  readonly outcomes: AlertOutcomeCounters;

  constructor(deps: { redis: Redis; keys: Keys }) {
    super(deps);
    this.ledger = new DeliveryLedger(deps);
    this.outcomes = new AlertOutcomeCounters(deps);
  }

  /**
   * A key on the master that holds everything of this alert (its record, ledger and finished
   * batches share one hash tag): where a write of it is confirmed on a replica (redis-replicas.ts).
   */
  homeKey(id: string): string {
    return this.keys.alert(id);
  }

  /** One hard bounce, through the circuit breaker; see DeliveryLedger.hardBounce. */
  hardBounce(id: string, subscriberId: number, batch: BatchRef, opts: { limit: number; reason: string; resumes: number }, now = Date.now()): Promise<HardBounceVerdict> {
    return this.ledger.hardBounce(id, subscriberId, batch, opts, now);
  }

  relayRefusal(id: string, limit: number, reason: string, resumes: number, now = Date.now()): Promise<'paused' | 'counted' | 'held'> {
    return this.ledger.relayRefusal(id, limit, reason, resumes, now);
  }

  noteDeferrals(id: string, batch: BatchRef, n: number, resumes: number): Promise<void> {
    return this.ledger.noteDeferrals(id, batch, n, resumes);
  }

  deferredAtLast(id: string, batch: BatchRef, n: number, min: number, reason: string, resumes: number, now = Date.now()): Promise<'paused' | 'soft' | 'held'> {
    return this.ledger.deferredAtLast(id, batch, n, min, reason, resumes, now);
  }

  wasUnbounced(id: string, subscriberId: number): Promise<boolean> {
    return this.ledger.wasUnbounced(id, subscriberId);
  }

  reopenQueued(id: string, trip: number): Promise<void> {
    return this.ledger.reopenQueued(id, trip);
  }

  sentAmong(id: string, ids: number[]): Promise<Set<number>> {
    return this.ledger.sentAmong(id, ids);
  }

  unsettled(id: string, ids: number[]): Promise<number[]> {
    return this.ledger.unsettled(id, ids);
  }

  record(id: string, outcome: Outcome, ids: number[], now = Date.now()): Promise<number> {
    return this.ledger.record(id, outcome, ids, now);
  }

  recordNew(id: string, outcome: Outcome, ids: number[], now = Date.now()): Promise<number[]> {
    return this.ledger.recordNew(id, outcome, ids, now);
  }
}
