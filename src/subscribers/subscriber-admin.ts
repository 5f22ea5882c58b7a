import type { DataRights, SubscriberExport } from './data-rights';
import { normaliseAddress } from './email-address';
import type { PendingChange, Subscriber, SubscriberStore } from './subscriber-store';

/**
 * The scope an API key will need for the newsroom's subscriber lookup and its actions (named keys
 * with scopes come with issue 13's key work; until then the publisher token and /admin session).
 */
export const SUBSCRIBERS_SCOPE = 'subscribers';

export type SubscriberAction = 'unsubscribe' | 'export' | 'delete';

/** One subscriber as the newsroom sees them: the record and its history, found by exact address. */
export interface SubscriberView {
  email: string;
  status: Subscriber['status'];
  locale: string;
  topics: string[];
  signedUpAt: string;
  confirmedAt: string | null;
  /** Copies of alerts the relay accepted for this subscriber. */
  alertsReceived: number;
  lastBounce: { at: string; kind: 'hard' | 'soft' | 'complaint' } | null;
  /** Temporary delivery failures in a row right now. */
  softBounces: number;
  /** New choices from a later sign-up, waiting for the owner's confirmation. */
  pendingChange: Omit<PendingChange, 'nonce'> | null;
}

export type LookupResult = { ok: true; subscriber: SubscriberView } | { ok: false; code: 'invalid_email'; message: string } | { ok: false; code: 'not_found'; message: string };

/** `address`: the normalised address the action was on (what logs and the audit trail mask). */
export type ActionResult =
  | (({ action: 'unsubscribe'; changed: boolean; subscriber: SubscriberView } | { action: 'export'; data: SubscriberExport } | { action: 'delete'; deleted: true }) & { ok: true; address: string })
  | Extract<LookupResult, { ok: false }>;

export interface SubscriberAdminDeps {
  subscribers: SubscriberStore;
  dataRights: DataRights;
  /** Told when the newsroom unsubscribes someone (outgoing webhooks); optional. */
  events?: { emit(event: 'subscriber.unsubscribed', ids: { subscriberId: number }): Promise<void> };
}

const NOT_FOUND = 'No subscriber has exactly this address.';

/**
 * The newsroom's view of one subscriber: looked up by the exact address (normalised as at sign-up)
 * through the address index, so it can never list or guess at other addresses, and the three
 * actions on them. Every action goes through `act`, the one place an audit trail can hook into.
 */
export class SubscriberAdmin {
  constructor(private readonly deps: SubscriberAdminDeps) {}

  async lookup(email: unknown): Promise<LookupResult> {
    const found = await this.find(email);
    if (!found.ok) return found;
    return { ok: true, subscriber: await this.view(found.subscriber) };
  }

  /** Unsubscribe (counted as the newsroom's), export (the data-rights export) or delete (the data-rights erasure). */
  async act(action: SubscriberAction, email: unknown): Promise<ActionResult> {
    const found = await this.find(email);
    if (!found.ok) return found;
    const s = found.subscriber;
    switch (action) {
      case 'unsubscribe': {
        // A bounced or complained address stays as it is: only a reader who still gets alerts can leave.
        const previous = ['confirmed', 'pending', 'paused'].includes(s.status) ? await this.deps.subscribers.setStatus(s.id, 'unsubscribed', { how: 'newsroom' }) : 'unchanged';
        const changed = previous === 'confirmed' || previous === 'pending' || previous === 'paused';
        if (changed) await this.deps.events?.emit('subscriber.unsubscribed', { subscriberId: s.id });
        const after = (await this.deps.subscribers.get(s.id)) ?? s;
        return { ok: true, address: s.email, action, changed, subscriber: await this.view(after) };
      }
      case 'export': {
        const data = await this.deps.dataRights.exportById(s.id);
        if (!data) return { ok: false, code: 'not_found', message: NOT_FOUND };
        return { ok: true, address: s.email, action, data };
      }
      case 'delete': {
        if (!(await this.deps.dataRights.deleteById(s.id))) return { ok: false, code: 'not_found', message: NOT_FOUND };
        return { ok: true, address: s.email, action, deleted: true };
      }
    }
  }

  private async find(email: unknown): Promise<{ ok: true; subscriber: Subscriber } | Extract<LookupResult, { ok: false }>> {
    const address = normaliseAddress(email);
    if (!address.ok) return { ok: false, code: 'invalid_email', message: address.reason };
    const subscriber = await this.deps.subscribers.findByEmail(address.address);
    // The index maps the normalised address to an id; the record must carry that same address.
    if (!subscriber || subscriber.email !== address.address) return { ok: false, code: 'not_found', message: NOT_FOUND };
    return { ok: true, subscriber };
  }

  private async view(s: Subscriber): Promise<SubscriberView> {
    const [history, softBounces, pendingChange] = await Promise.all([
      this.deps.subscribers.history(s.id),
      this.deps.subscribers.softBounceCount(s.id),
      this.deps.subscribers.pendingChange(s.id),
    ]);
    return {
      email: s.email,
      status: s.status,
      locale: s.locale,
      topics: s.topics,
      signedUpAt: new Date(s.createdAt).toISOString(),
      confirmedAt: s.confirmedAt ? new Date(s.confirmedAt).toISOString() : null,
      alertsReceived: history.received,
      lastBounce: history.lastBounce ? { at: new Date(history.lastBounce.at).toISOString(), kind: history.lastBounce.kind } : null,
      softBounces,
      pendingChange: pendingChange ? { locale: pendingChange.locale, topics: pendingChange.topics } : null,
    };
  }
}
