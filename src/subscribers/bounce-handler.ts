import type { Logger } from '../logger';
import { maskEmail } from '../logger';
import type { AddressHasher } from './address-hasher';
import type { BounceEvent } from './bounce-report';
import type { SubscriberStore } from './subscriber-store';

export type BounceOutcome =
  /** The subscriber is now suppressed (bounced or complained): never mailed again. */
  | 'suppressed'
  /** A soft bounce counted towards SOFT_BOUNCE_LIMIT. */
  | 'counted'
  /** Not a subscriber: a hard bounce or complaint still goes into the suppression set. */
  | 'suppressed_unknown'
  /** Nothing to do (a soft bounce for an unknown address). */
  | 'ignored';

export interface BounceHandlerDeps {
  subscribers: SubscriberStore;
  hasher: AddressHasher;
  softBounceLimit: number;
  logger: Logger;
}

/** Applies bounce and complaint events (from the webhook) to the subscriber records. */
export class BounceHandler {
  constructor(private readonly deps: BounceHandlerDeps) {}

  async apply(event: BounceEvent): Promise<BounceOutcome> {
    const { subscribers } = this.deps;
    const sub = await subscribers.findByEmail(event.email);
    const log = this.deps.logger.child({ to: maskEmail(event.email), type: event.type, status: event.status });
    if (!sub) {
      if (event.type === 'soft') return 'ignored';
      await subscribers.suppressHash(event.email, this.deps.hasher.current(event.email), event.type === 'hard' ? 'bounced' : 'complained');
      log.info('bounce report for an address with no subscription; added to the suppression set');
      return 'suppressed_unknown';
    }
    if (event.type === 'soft') {
      const suppressed = await subscribers.recordSoftBounces(subscribers.shardOfEmail(event.email), [sub.id], this.deps.softBounceLimit);
      if (suppressed.length > 0) log.warn({ subscriberId: sub.id }, 'soft bounce limit reached; address suppressed');
      return suppressed.length > 0 ? 'suppressed' : 'counted';
    }
    const status = event.type === 'hard' ? 'bounced' : 'complained';
    if (sub.status !== status) await subscribers.setStatus(sub.id, status);
    log.warn({ subscriberId: sub.id }, event.type === 'hard' ? 'hard bounce reported; address suppressed' : 'complaint reported; address suppressed');
    return 'suppressed';
  }
}
