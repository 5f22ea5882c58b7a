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
  /** Per-alert outcomes: a bounce or complaint about an alert's copy counts toward that alert; optional. */
  alertOutcomes?: { count(alertId: string, outcome: 'bounced' | 'complained'): Promise<boolean> };
}

/** The alert a verified tag's message ref names (`a<id>`), if it is an alert's copy. */
const alertOfRef = (ref: string | undefined) => (ref && /^a[1-9][0-9]{0,15}$/.test(ref) ? ref.slice(1) : undefined);

/** Applies bounce and complaint events (from the webhook) to the subscriber records. */
export class BounceHandler {
  constructor(private readonly deps: BounceHandlerDeps) {}

  /**
   * An event from the mail provider's JSON webhook, behind BOUNCE_WEBHOOK_SECRET: the provider
   * saw the delivery fail, so its word about an address is taken.
   */
  async apply(event: BounceEvent & { email: string; messageId?: string }): Promise<BounceOutcome> {
    const { subscribers } = this.deps;
    const sub = await subscribers.findByEmail(event.email);
    if (!sub) {
      if (event.type === 'soft') return 'ignored';
      await subscribers.suppressHash(event.email, this.deps.hasher.current(event.email), event.type === 'hard' ? 'bounced' : 'complained');
      this.log(event).info('bounce report for an address with no subscription; added to the suppression set');
      return 'suppressed_unknown';
    }
    // The provider's copy of the Message-ID, when it sends one, names the alert: only a tag Kilat
    // signed for this very subscriber counts (the event's address is the provider's word; the tag is ours).
    const tag = event.messageId ? this.deps.tags.findIn(event.messageId).find((t) => t.subscriberId === sub.id) : undefined;
    return this.applyTo(sub, { email: event.email, type: event.type, status: event.status, action: event.action }, alertOfRef(tag?.ref));
  }

  /**
   * A raw DSN or ARF report, as it arrived in the bounce mailbox: anyone can send one there. It acts
   * on a subscriber only when it quotes a tag Kilat signed for a message to that subscriber (the
   * VERP envelope sender it bounced to, or the returned message's Message-ID) and, when the report
   * names its recipient, that recipient is the subscriber's address. Anything else is counted and ignored.
   */
  async applyReport(report: BounceReport): Promise<{ event: BounceEvent; outcome: BounceOutcome }[]> {
    const verified = report.quoted.map((t) => this.deps.tags.verify(t)).filter((v): v is { subscriberId: number; ref: string } => v !== undefined);
    const ids = [...new Set(verified.map((v) => v.subscriberId))];
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
      const alertId = alertOfRef(verified.find((v) => v.subscriberId === sub.id && alertOfRef(v.ref))?.ref);
      results.push({ event: { ...event, email: sub.email }, outcome: await this.applyTo(sub, event, alertId) });
    }
    if (unmatched > 0) {
      this.deps.logger.info({ unmatched, quoted: report.quoted.length }, 'bounce report about no message Kilat sent to its recipient; ignored');
      await this.deps.countUnmatched?.(unmatched);
    }
    return results;
  }

  private async applyTo(sub: Subscriber, event: BounceEvent, alertId?: string): Promise<BounceOutcome> {
    const { subscribers } = this.deps;
    const log = this.log({ ...event, email: sub.email });
    if (event.type === 'soft') {
      const suppressed = await subscribers.recordSoftBounces(subscribers.shardOfEmail(sub.email), [sub.id], this.deps.softBounceLimit);
      if (suppressed.length > 0) log.warn({ subscriberId: sub.id }, 'soft bounce limit reached; address suppressed');
      return suppressed.length > 0 ? 'suppressed' : 'counted';
    }
    const status = event.type === 'hard' ? 'bounced' : 'complained';
    const previous = sub.status !== status ? await subscribers.setStatus(sub.id, status) : 'unchanged';
    // Counted once per reader and alert: a second report about the same copy changes no status.
    if (alertId && previous !== 'unchanged' && previous !== 'not_found' && previous !== status) await this.deps.alertOutcomes?.count(alertId, status);
    log.warn({ subscriberId: sub.id }, event.type === 'hard' ? 'hard bounce reported; address suppressed' : 'complaint reported; address suppressed');
    return 'suppressed';
  }

  private log(event: BounceEvent): Logger {
    return this.deps.logger.child({ to: event.email ? maskEmail(event.email) : '(redacted)', type: event.type, status: event.status });
  }
}
