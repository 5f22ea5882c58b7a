import { createHash, createHmac } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createChallenge, verifySolution } from 'altcha-lib/v1';
import type { Challenge } from 'altcha-lib/v1/types';

/** How long a challenge may be solved and sent in; a solved one is good for one sign-up only. */
export const CHALLENGE_TTL_SECONDS = 600;
/**
 * Upper bound of the secret number: a browser finds it in well under a second on average (SHA-256
 * in WebCrypto), a bot pays the same for every sign-up it tries.
 */
export const CHALLENGE_MAX_NUMBER = 50_000;
/** A solution payload longer than this is not one of ours (checked before decoding it). */
const MAX_PAYLOAD = 1500;

export type ChallengeCheck = { ok: true } | { ok: false; reason: 'missing' | 'invalid' | 'reused' };

/**
 * ALTCHA proof of work (altcha-lib, v1 format: find n with SHA-256(salt + n) = challenge), created
 * and checked here, with no third-party service and no cookie. The HMAC key is derived from
 * SECRET_KEY; each solved challenge is remembered until it expires, so one solution buys one sign-up.
 */
export class SignupChallenge {
  private readonly hmacKey: string;

  constructor(private readonly deps: { redis: Redis; keyPrefix: string; secretKey: string; maxNumber?: number }) {
    this.hmacKey = createHmac('sha256', deps.secretKey).update('kilat altcha v1').digest('hex');
  }

  async create(now = Date.now()): Promise<Challenge> {
    return createChallenge({
      hmacKey: this.hmacKey,
      algorithm: 'SHA-256',
      maxNumber: this.deps.maxNumber ?? CHALLENGE_MAX_NUMBER,
      expires: new Date(now + CHALLENGE_TTL_SECONDS * 1000),
    });
  }

  async verify(payload: unknown): Promise<ChallengeCheck> {
    if (payload === undefined || payload === null || payload === '') return { ok: false, reason: 'missing' };
    if (typeof payload !== 'string' || payload.length > MAX_PAYLOAD || !/^[A-Za-z0-9+/=]+$/.test(payload)) return { ok: false, reason: 'invalid' };
    let decoded: { algorithm?: unknown; signature?: unknown };
    try {
      decoded = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as typeof decoded;
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    if (decoded === null || typeof decoded !== 'object' || decoded.algorithm !== 'SHA-256' || typeof decoded.signature !== 'string') return { ok: false, reason: 'invalid' };
    if (!(await verifySolution(payload, this.hmacKey, true))) return { ok: false, reason: 'invalid' };
    const used = `${this.deps.keyPrefix}:{signup-challenge}:used:${createHash('sha256').update(decoded.signature).digest('base64url')}`;
    const fresh = await this.deps.redis.set(used, '1', 'EX', CHALLENGE_TTL_SECONDS, 'NX');
    return fresh === 'OK' ? { ok: true } : { ok: false, reason: 'reused' };
  }
}
