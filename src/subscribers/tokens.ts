import { createHmac, timingSafeEqual } from 'node:crypto';

/** `click`: the tracked "Read more" link of one alert copy (CLICK_TRACKING), /r/<token>. */
export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences' | 'click';

export interface TokenClaims {
  purpose: TokenPurpose;
  subscriberId: number;
  /** Confirm tokens carry the nonce of the sign-up they confirm, so an older link stops working. */
  nonce?: string;
  /** Unix seconds; absent for links that must keep working in old emails (unsubscribe, preferences). */
  expiresAt?: number;
  /**
   * The alert whose copy carried the link (its numeric id): an unsubscribe counts toward that alert's
   * outcomes, a click redirects to that alert's article. Signed with the rest, so a reader cannot move
   * their unsubscribe or click onto another alert's figures. Absent in confirm and digest links.
   */
  alertId?: string;
}

export type TokenResult =
  | { ok: true; claims: TokenClaims }
  | { ok: false; code: 'token_invalid' | 'token_expired' | 'token_wrong_purpose' };

const PURPOSE_CODES: Record<TokenPurpose, string> = { confirm: 'c', unsubscribe: 'u', preferences: 'p', click: 'r' };
const CODE_PURPOSES: Record<string, TokenPurpose> = { c: 'confirm', u: 'unsubscribe', p: 'preferences', r: 'click' };
// purpose . id (base 36, no leading zero) . expiry (same, or empty) . nonce (base64url) [. alert id
// (base 36, no leading zero)] . MAC (22 base64url characters). Tokens without an alert keep the
// five-part form, so links in emails sent before alerts were carried still verify.
const CANONICAL = /^[cupr]\.(?:0|[1-9a-z][0-9a-z]{0,10})\.(?:|[1-9a-z][0-9a-z]{0,10})\.[A-Za-z0-9_-]{0,32}(?:\.[1-9a-z][0-9a-z]{0,10})?\.[A-Za-z0-9_-]{22}$/;
const ALERT_ID = /^[1-9][0-9]{0,15}$/;

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
    if (claims.alertId !== undefined && !(ALERT_ID.test(claims.alertId) && Number.isSafeInteger(Number(claims.alertId)))) throw new Error('TokenSigner: an alert id is a positive integer');
    const body = [
      PURPOSE_CODES[claims.purpose],
      claims.subscriberId.toString(36),
      claims.expiresAt === undefined ? '' : claims.expiresAt.toString(36),
      claims.nonce ?? '',
      ...(claims.alertId === undefined ? [] : [Number(claims.alertId).toString(36)]),
    ].join('.');
    return `${body}.${this.mac(this.keys[0]!, body)}`;
  }

  verify(token: unknown, purpose: TokenPurpose, nowSeconds = Math.floor(Date.now() / 1000)): TokenResult {
    // Exactly one spelling per token: the shape is checked strictly (no upper case, leading zeros,
    // padding or stray characters that lenient decoders ignore) and the MAC is compared as the
    // canonical text `sign` writes, not as whatever bytes a base64 decoder makes of it.
    if (typeof token !== 'string' || token.length > 200 || !CANONICAL.test(token)) return { ok: false, code: 'token_invalid' };
    const parts = token.split('.');
    const [code, id36, exp36, nonce] = parts as [string, string, string, string];
    const alert36 = parts.length === 6 ? parts[4] : undefined;
    const mac = parts[parts.length - 1]!;
    const body = parts.slice(0, -1).join('.');
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
    const alertNumber = alert36 === undefined ? undefined : parseInt(alert36, 36);
    if (alertNumber !== undefined && !Number.isSafeInteger(alertNumber)) return { ok: false, code: 'token_invalid' };
    return {
      ok: true,
      claims: { purpose, subscriberId, expiresAt, nonce: nonce === '' ? undefined : nonce, ...(alertNumber === undefined ? {} : { alertId: String(alertNumber) }) },
    };
  }

  private mac(key: Buffer, body: string): string {
    return createHmac('sha256', key).update(body).digest().subarray(0, 16).toString('base64url');
  }
}
