import type { Logger } from '../logger';
import { maskEmail } from '../logger';
import type { AddressHasher } from './address-hasher';
import type { BounceEvent, BounceReport } from './bounce-report';
import type { MessageTags } from './message-tags';
import type { Subscriber, SubscriberStore } from './subscriber-store';

export type BounceOutcome =
  /** The subscriber is now suppressed (bounced or complained): never mailed again. */
  | 'suppressed'
  /** A soft bounce counted towards SOFT_BOUNCE_LIMIT. */
  | 'counted'
  /** Not a subscriber: a hard bounce or complaint still goes into the suppression set. */
  | 'suppressed_unknown'
  /** Nothing to do (a soft bounce for an unknown address). */
  | 'ignored'
  /** A raw report about no message Kilat sent (no valid tag naming its recipient): counted, ignored. */
  | 'unmatched';

export interface BounceHandlerDeps {
  subscribers: SubscriberStore;
  hasher: AddressHasher;
  /** Verifies the tags a report quotes (Message-ID, VERP envelope sender). */
  tags: MessageTags;
  softBounceLimit: number;
  logger: Logger;
  /** Counts reports that matched nothing (a metric: a flood of them is someone forging bounces). */
  countUnmatched?: (n: number) => Promise<void>;
}

/** Applies bounce and complaint events (from the webhook) to the subscriber records. */
export class BounceHandler {
  constructor(private readonly deps: BounceHandlerDeps) {}

  /**
   * An event from the mail provider's JSON webhook, behind BOUNCE_WEBHOOK_SECRET: the provider
   * saw the delivery fail, so its word about an address is taken.
   */
  async apply(event: BounceEvent & { email: string }): Promise<BounceOutcome> {
    const { subscribers } = this.deps;
    const sub = await subscribers.findByEmail(event.email);
    if (!sub) {
      if (event.type === 'soft') return 'ignored';
      await subscribers.suppressHash(event.email, this.deps.hasher.current(event.email), event.type === 'hard' ? 'bounced' : 'complained');
      this.log(event).info('bounce report for an address with no subscription; added to the suppression set');
      return 'suppressed_unknown';
    }
    return this.applyTo(sub, event);
  }

  /**
   * A raw DSN or ARF report, as it arrived in the bounce mailbox: anyone can send one there. It acts
   * on a subscriber only when it quotes a tag Kilat signed for a message to that subscriber (the
   * VERP envelope sender it bounced to, or the returned message's Message-ID) and, when the report
   * names its recipient, that recipient is the subscriber's address. Anything else is counted and ignored.
   */
  async applyReport(report: BounceReport): Promise<{ event: BounceEvent; outcome: BounceOutcome }[]> {
    const ids = [...new Set(report.quoted.map((t) => this.deps.tags.verify(t)?.subscriberId).filter((id): id is number => id !== undefined))];
    const named = (await this.deps.subscribers.getMany(ids)).filter((s): s is Subscriber => s !== undefined);
    const results: { event: BounceEvent; outcome: BounceOutcome }[] = [];
    let unmatched = 0;
    for (const event of report.events) {
      const sub = event.email !== undefined ? named.find((s) => s.email === event.email) : named.length === 1 ? named[0] : undefined;
      if (!sub) {
        unmatched++;
        results.push({ event, outcome: 'unmatched' });
        continue;
      }
      results.push({ event: { ...event, email: sub.email }, outcome: await this.applyTo(sub, event) });
    }
    if (unmatched > 0) {
      this.deps.logger.info({ unmatched, quoted: report.quoted.length }, 'bounce report about no message Kilat sent to its recipient; ignored');
      await this.deps.countUnmatched?.(unmatched);
    }
    return results;
  }

  private async applyTo(sub: Subscriber, event: BounceEvent): Promise<BounceOutcome> {
    const { subscribers } = this.deps;
    const log = this.log({ ...event, email: sub.email });
    if (event.type === 'soft') {
      const suppressed = await subscribers.recordSoftBounces(subscribers.shardOfEmail(sub.email), [sub.id], this.deps.softBounceLimit);
      if (suppressed.length > 0) log.warn({ subscriberId: sub.id }, 'soft bounce limit reached; address suppressed');
      return suppressed.length > 0 ? 'suppressed' : 'counted';
    }
    const status = event.type === 'hard' ? 'bounced' : 'complained';
    if (sub.status !== status) await subscribers.setStatus(sub.id, status);
    log.warn({ subscriberId: sub.id }, event.type === 'hard' ? 'hard bounce reported; address suppressed' : 'complaint reported; address suppressed');
    return 'suppressed';
  }

  private log(event: BounceEvent): Logger {
    return this.deps.logger.child({ to: event.email ? maskEmail(event.email) : '(redacted)', type: event.type, status: event.status });
  }
}
