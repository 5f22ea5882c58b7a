import type { Locale } from '../config';
import type { Queues } from '../queues';
import type { DataRights, SubscriberExport } from './data-rights';
import type { SignupAttribution, SignupOrigin } from './signup-attribution';
import type { Subscriber, SubscriberStore, UnsubscribeHow } from './subscriber-store';
import type { TokenSigner } from './tokens';
import { createBulkEnqueue } from './bulk-enqueue';
import type { ConfirmationJob } from '../queues';

export interface SubscriptionDeps {
  subscribers: SubscriberStore;
  signer: TokenSigner;
  queues: Pick<Queues, 'confirmations'>;
  /** Told when a subscriber confirms or leaves (outgoing webhooks); optional. */
  events?: { emit(event: 'subscriber.confirmed' | 'subscriber.unsubscribed', ids: { subscriberId: number }): Promise<void> };
  /** Export and deletion; also lifts a suppression when an address confirms anew. */
  dataRights: DataRights;
  /** Where each sign-up came from, and the per-source counters (issue 12); optional. */
  attribution?: SignupAttribution;
  /** Per-alert outcomes: an unsubscribe through a link that names its alert counts toward that alert; optional. */
  alertOutcomes?: { count(alertId: string, outcome: 'unsubscribed'): Promise<boolean> };
}

export type TokenFailure = 'token_invalid' | 'token_expired' | 'token_wrong_purpose' | 'not_found';

export type ConfirmResult = { ok: true; subscriber: Subscriber; already: boolean } | { ok: false; code: TokenFailure | 'token_stale' };
/** `alertId`: the alert whose email carried the link, when it names one (signed with the token). */
export type SubscriberResult = { ok: true; subscriber: Subscriber; alertId?: string } | { ok: false; code: TokenFailure };

/** Sign-up, confirmation, unsubscribe and preferences: the subscriber lifecycle behind every route. */
export class SubscriptionService {
  /** Confirmation jobs of concurrent sign-ups go to Redis together (see createBulkEnqueue). */
  private readonly enqueueConfirmation: (job: ConfirmationJob) => Promise<void>;

  constructor(private readonly deps: SubscriptionDeps) {
    this.enqueueConfirmation = createBulkEnqueue<ConfirmationJob>(deps.queues.confirmations, 'confirm');
  }

  /**
   * Starts (or restarts) double opt-in. An existing subscription is left as it is: the new choices
   * wait beside it until its owner confirms them from the email this sends. The caller answers the
   * same whatever the outcome, and the work is the same too (one script, one confirmation job, even
   * for an address that gets no email), so neither the answer nor its timing tells whether an
   * address was already known.
   */
  async signup(input: { email: string; locale: Locale; topics: string[] }, origin: SignupOrigin = { kind: 'api', source: '' }): Promise<void> {
    const { id, outcome } = await this.deps.subscribers.signup(input, Date.now(), this.deps.dataRights.addressHashes(input.email));
    // Side by side, one round trip after the sign-up script: the attribution and the job (added in
    // bulk with the sign-ups arriving at the same time). The job finds out itself what (if
    // anything) to send: a complained address gets nothing.
    await Promise.all([this.deps.attribution?.recordSignup(id, outcome, origin, input.locale), this.enqueueConfirmation({ subscriberId: id })]);
  }

  async confirm(token: unknown): Promise<ConfirmResult> {
    const v = this.deps.signer.verify(token, 'confirm');
    if (!v.ok) return v;
    const outcome = await this.deps.subscribers.confirm(v.claims.subscriberId, v.claims.nonce ?? '');
    if (outcome === 'not_found') return { ok: false, code: 'not_found' };
    if (outcome === 'stale') return { ok: false, code: 'token_stale' };
    const subscriber = (await this.deps.subscribers.get(v.claims.subscriberId))!;
    if (outcome === 'confirmed') await this.deps.events?.emit('subscriber.confirmed', { subscriberId: subscriber.id });
    if (outcome === 'confirmed') await this.deps.attribution?.recordConfirmation(subscriber.id);
    if (outcome === 'confirmed' || outcome === 'changed') await this.deps.dataRights.clearSuppression(subscriber.email);
    return { ok: true, subscriber, already: outcome === 'already_confirmed' };
  }

  /** Who an unsubscribe or preferences link belongs to, without changing anything. */
  async lookup(token: unknown, purpose: 'unsubscribe' | 'preferences'): Promise<SubscriberResult> {
    const v = this.deps.signer.verify(token, purpose);
    if (!v.ok) return v;
    const subscriber = await this.deps.subscribers.get(v.claims.subscriberId);
    return subscriber ? { ok: true, subscriber, ...(v.claims.alertId ? { alertId: v.claims.alertId } : {}) } : { ok: false, code: 'not_found' };
  }

  /**
   * Unsubscribes by an unsubscribe or preferences token; takes effect before the next batch is read.
   * `how` (the mail client's one-click, the footer link's page, the preferences page) is counted.
   */
  async unsubscribe(token: unknown, purpose: 'unsubscribe' | 'preferences' = 'unsubscribe', how: UnsubscribeHow = purpose === 'preferences' ? 'preferences' : 'one-click'): Promise<SubscriberResult> {
    const found = await this.lookup(token, purpose);
    if (found.ok && ['confirmed', 'pending', 'paused'].includes(found.subscriber.status)) {
      const previous = await this.deps.subscribers.setStatus(found.subscriber.id, 'unsubscribed', { how });
      found.subscriber.status = 'unsubscribed';
      if (previous === 'confirmed' || previous === 'pending' || previous === 'paused') {
        await this.deps.events?.emit('subscriber.unsubscribed', { subscriberId: found.subscriber.id });
        // Only the request that actually unsubscribed counts: a repeated one-click or a reload adds nothing.
        if (found.alertId) await this.deps.alertOutcomes?.count(found.alertId, 'unsubscribed');
      }
    }
    return found;
  }

  /** `alertId`: the alert the reader came from (the preferences page passes its link's on). */
  unsubscribeToken(subscriberId: number, alertId?: string): string {
    return this.deps.signer.sign({ purpose: 'unsubscribe', subscriberId, alertId });
  }

  async updatePreferences(token: unknown, prefs: { locale: Locale; topics: string[] }): Promise<SubscriberResult> {
    const found = await this.lookup(token, 'preferences');
    if (!found.ok) return found;
    await this.deps.subscribers.setPreferences(found.subscriber.id, prefs);
    return { ok: true, subscriber: { ...found.subscriber, ...prefs } };
  }

  /** Pause keeps the record and preferences but takes the subscriber out of every fan-out. */
  async pause(token: unknown): Promise<SubscriberResult> {
    const found = await this.lookup(token, 'preferences');
    if (!found.ok) return found;
    if (found.subscriber.status === 'confirmed') {
      await this.deps.subscribers.setStatus(found.subscriber.id, 'paused');
      found.subscriber.status = 'paused';
    }
    return found;
  }

  async resume(token: unknown): Promise<SubscriberResult> {
    const found = await this.lookup(token, 'preferences');
    if (!found.ok) return found;
    if ((await this.deps.subscribers.resume(found.subscriber.id)) === 'resumed') found.subscriber.status = 'confirmed';
    return found;
  }

  async exportData(token: unknown): Promise<{ ok: true; data: SubscriberExport } | { ok: false; code: TokenFailure }> {
    const v = this.deps.signer.verify(token, 'preferences');
    if (!v.ok) return v;
    const data = await this.deps.dataRights.exportById(v.claims.subscriberId);
    return data ? { ok: true, data } : { ok: false, code: 'not_found' };
  }

  async deleteData(token: unknown): Promise<SubscriberResult> {
    const found = await this.lookup(token, 'preferences');
    if (!found.ok) return found;
    await this.deps.dataRights.deleteById(found.subscriber.id);
    return found;
  }
}
