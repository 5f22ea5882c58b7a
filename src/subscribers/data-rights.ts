import type { AddressHasher } from './address-hasher';
import { normaliseAddress } from './email-address';
import type { SignupAttribution, SignupAttributionRecord } from './signup-attribution';
import type { SubscriberStore } from './subscriber-store';

/** Everything Kilat holds about one subscriber, as handed to them (or the operator) on request. */
export interface SubscriberExport {
  email: string;
  status: string;
  locale: string;
  topics: string[];
  subscribedAt: string;
  confirmedAt: string | null;
  /** Temporary delivery failures in a row right now. */
  softBounces: number;
  /** Where the sign-up that brought them in came from (page URL, form kind, locale); null if not recorded. */
  signupSource: SignupAttributionRecord | null;
  exportedAt: string;
}

export interface DataRightsDeps {
  subscribers: SubscriberStore;
  hasher: AddressHasher;
  attribution?: SignupAttribution;
}

/** The right of access (export) and the right to erasure, by subscriber id or by address. */
export class DataRights {
  constructor(private readonly deps: DataRightsDeps) {}

  async exportById(id: number, now = Date.now()): Promise<SubscriberExport | undefined> {
    const s = await this.deps.subscribers.get(id);
    if (!s) return undefined;
    return {
      email: s.email,
      status: s.status,
      locale: s.locale,
      topics: s.topics,
      subscribedAt: new Date(s.createdAt).toISOString(),
      confirmedAt: s.confirmedAt ? new Date(s.confirmedAt).toISOString() : null,
      softBounces: await this.deps.subscribers.softBounceCount(id),
      signupSource: (await this.deps.attribution?.get(id)) ?? null,
      exportedAt: new Date(now).toISOString(),
    };
  }

  async exportByEmail(email: string): Promise<SubscriberExport | undefined> {
    const id = await this.idOf(email);
    return id === undefined ? undefined : this.exportById(id);
  }

  /**
   * Deletes the record and its index entry; only a keyed hash of the address stays, in the
   * suppression set, so the address is never mailed again unless its owner signs up and confirms anew.
   */
  async deleteById(id: number): Promise<boolean> {
    const s = await this.deps.subscribers.get(id);
    if (!s) return false;
    const erased = await this.deps.subscribers.erase(id, this.deps.hasher.current(s.email));
    await this.deps.attribution?.erase(id);
    // The day's sign-up counter for the address (its own hash tag, so not in the erase script).
    await this.deps.subscribers.dropAddressCounter(this.deps.hasher.counterSubject(s.email));
    return erased;
  }

  async deleteByEmail(email: string): Promise<boolean> {
    const id = await this.idOf(email);
    return id === undefined ? false : this.deleteById(id);
  }

  /** Whether the suppression set holds this address (e.g. after its data was deleted). */
  async suppression(email: string): Promise<string | undefined> {
    const address = normaliseAddress(email);
    if (!address.ok) return undefined;
    return this.deps.subscribers.suppressionOf(address.address, this.deps.hasher.all(address.address));
  }

  /** The address's keyed hashes (one per signing key), as the suppression set holds them. */
  addressHashes(email: string): string[] {
    return this.deps.hasher.all(email);
  }

  /** A fresh, confirmed opt-in lifts an earlier suppression of the same address. */
  async clearSuppression(email: string): Promise<void> {
    await this.deps.subscribers.unsuppressHashes(email, this.deps.hasher.all(email));
  }

  private async idOf(email: string): Promise<number | undefined> {
    const address = normaliseAddress(email);
    if (!address.ok) return undefined;
    return (await this.deps.subscribers.findByEmail(address.address))?.id;
  }
}
