import { createHmac } from 'node:crypto';

/**
 * Keyed hashes of addresses for the suppression set: enough to recognise an address again, not to
 * read it back (an unkeyed hash of an address is trivially reversed by guessing). One hash per
 * signing key, current first, so a SECRET_KEY rotation does not forget who was suppressed.
 */
export class AddressHasher {
  private readonly keys: Buffer[];

  constructor(keys: string[]) {
    if (keys.length === 0) throw new Error('AddressHasher needs at least one key');
    this.keys = keys.map((k) => Buffer.from(k, 'utf8'));
  }

  current(address: string): string {
    return this.hash(this.keys[0]!, address);
  }

  all(address: string): string[] {
    return this.keys.map((k) => this.hash(k, address));
  }

  /**
   * What the per-address sign-up counter is keyed by: keyed too (an unkeyed hash of an address is
   * the address to anyone who guesses it), and with its own label, so it matches no suppression hash.
   */
  counterSubject(address: string): string {
    return createHmac('sha256', this.keys[0]!).update(`kilat-rate-limit\n${address}`).digest('base64url').slice(0, 32);
  }

  private hash(key: Buffer, address: string): string {
    // A distinct label keeps these hashes apart from any other HMAC made with the same key.
    return createHmac('sha256', key).update(`kilat-suppression\n${address}`).digest('base64url');
  }
}
