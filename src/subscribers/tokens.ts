import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences';

export interface TokenClaims {
  purpose: TokenPurpose;
  subscriberId: number;
  /** Confirm tokens carry the nonce of the sign-up they confirm, so an older link stops working. */
  nonce?: string;
  /** Unix seconds; absent for links that must keep working in old emails (unsubscribe, preferences). */
  expiresAt?: number;
}

export type TokenResult =
  | { ok: true; claims: TokenClaims }
  | { ok: false; code: 'token_invalid' | 'token_expired' | 'token_wrong_purpose' };

const PURPOSE_CODES: Record<TokenPurpose, string> = { confirm: 'c', unsubscribe: 'u', preferences: 'p' };
const CODE_PURPOSES: Record<string, TokenPurpose> = { c: 'confirm', u: 'unsubscribe', p: 'preferences' };
// purpose . id (base 36, no leading zero) . expiry (same, or empty) . nonce (base64url) . MAC (22 base64url characters)
const CANONICAL = /^[cup]\.(?:0|[1-9a-z][0-9a-z]{0,10})\.(?:|[1-9a-z][0-9a-z]{0,10})\.[A-Za-z0-9_-]{0,32}\.[A-Za-z0-9_-]{22}$/;

/**
 * Stateless signed tokens: `<purpose>.<id>.<expiry>.<nonce>.<hmac>` (HMAC-SHA256, base64url,
 * truncated to 128 bits). Signing is a few microseconds, cheap enough to do per recipient.
 */
export class TokenSigner {
  private readonly keys: Buffer[];

  /** `keys[0]` signs; every key verifies, so a rotated-out key keeps old links working. */
  constructor(keys: string[]) {
    if (keys.length === 0) throw new Error('TokenSigner needs at least one key');
    this.keys = keys.map((k) => Buffer.from(k, 'utf8'));
  }

  sign(claims: TokenClaims): string {
    const body = [
      PURPOSE_CODES[claims.purpose],
      claims.subscriberId.toString(36),
      claims.expiresAt === undefined ? '' : claims.expiresAt.toString(36),
      claims.nonce ?? '',
    ].join('.');
    return `${body}.${this.mac(this.keys[0]!, body)}`;
  }

  verify(token: unknown, purpose: TokenPurpose, nowSeconds = Math.floor(Date.now() / 1000)): TokenResult {
    // Exactly one spelling per token: the shape is checked strictly (no upper case, leading zeros,
    // padding or stray characters that lenient decoders ignore) and the MAC is compared as the
    // canonical text `sign` writes, not as whatever bytes a base64 decoder makes of it.
    if (typeof token !== 'string' || token.length > 200 || !CANONICAL.test(token)) return { ok: false, code: 'token_invalid' };
    const parts = token.split('.');
    const [code, id36, exp36, nonce, mac] = parts as [string, string, string, string, string];
    const body = parts.slice(0, 4).join('.');
    const given = Buffer.from(mac, 'latin1');
    const valid = this.keys.some((key) => {
      const expected = Buffer.from(this.mac(key, body), 'latin1');
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
    if (!valid) return { ok: false, code: 'token_invalid' };
    const tokenPurpose = CODE_PURPOSES[code];
    if (!tokenPurpose) return { ok: false, code: 'token_invalid' };
    if (tokenPurpose !== purpose) return { ok: false, code: 'token_wrong_purpose' };
    const subscriberId = parseInt(id36, 36);
    if (!Number.isSafeInteger(subscriberId) || subscriberId < 0) return { ok: false, code: 'token_invalid' };
    const expiresAt = exp36 === '' ? undefined : parseInt(exp36, 36);
    if (expiresAt !== undefined && expiresAt < nowSeconds) return { ok: false, code: 'token_expired' };
    return { ok: true, claims: { purpose, subscriberId, expiresAt, nonce: nonce === '' ? undefined : nonce } };
  }

  private mac(key: Buffer, body: string): string {
    return createHmac('sha256', key).update(body).digest().subarray(0, 16).toString('base64url');
  }
}
