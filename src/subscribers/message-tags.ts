import { createHmac, timingSafeEqual } from 'node:crypto';

const TAG = /^k1\.(0|[1-9a-z][0-9a-z]{0,10})\.([a-z0-9]{1,20})\.([0-9a-f]{16})$/;

/**
 * A signed name for one copy of one email: `k1.<subscriber id, base 36>.<message ref>.<MAC>`, the
 * MAC an HMAC-SHA256 (64 bits, hex) keyed with SECRET_KEY. It is the local part of the copy's
 * Message-ID and, with BOUNCE_DOMAIN, of its envelope sender (`bounces+<tag>@…`, VERP): a bounce or
 * complaint that quotes either names the subscriber it is about, and nobody without the key can
 * make one for another subscriber. Lower case only, as some mail systems lower-case local parts.
 */
export class MessageTags {
  private readonly keys: Buffer[];

  /** `keys[0]` signs; every key verifies (SECRET_KEY_PREVIOUS). */
  constructor(keys: string[]) {
    if (keys.length === 0) throw new Error('MessageTags needs at least one key');
    this.keys = keys.map((k) => Buffer.from(k, 'utf8'));
  }

  /** `ref` names the message among those the subscriber got: `a<alert id>`, `c` (confirmation), `d<day>`. */
  sign(subscriberId: number, ref: string): string {
    const body = `${subscriberId.toString(36)}.${ref}`;
    return `k1.${body}.${this.mac(this.keys[0]!, body)}`;
  }

  /** The subscriber and message a tag names, or undefined for anything not made by `sign`. */
  verify(tag: string): { subscriberId: number; ref: string } | undefined {
    const m = TAG.exec(tag);
    if (!m) return undefined;
    const body = `${m[1]}.${m[2]}`;
    const given = Buffer.from(m[3]!, 'latin1');
    const ok = this.keys.some((key) => timingSafeEqual(Buffer.from(this.mac(key, body), 'latin1'), given));
    return ok ? { subscriberId: parseInt(m[1]!, 36), ref: m[2]! } : undefined;
  }

  /** Every tag-shaped string in a text (a report's headers and parts), verified. */
  findIn(text: string): { subscriberId: number; ref: string }[] {
    const out: { subscriberId: number; ref: string }[] = [];
    for (const m of text.matchAll(/\bk1\.[0-9a-z]{1,11}\.[a-z0-9]{1,20}\.[0-9a-f]{16}\b/gi)) {
      const v = this.verify(m[0].toLowerCase());
      if (v) out.push(v);
    }
    return out;
  }

  private mac(key: Buffer, body: string): string {
    return createHmac('sha256', key).update(`kilat-message-tag\n${body}`).digest('hex').slice(0, 16);
  }
}
