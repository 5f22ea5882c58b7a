import { createHash } from 'node:crypto';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Redis } from '../redis';
import { HttpError } from './errors';

export interface SignupLimitsOptions {
  redis: Redis;
  /** From Keys.rateLimit: where the counters live. */
  keyPrefix: (name: string) => string;
  /** Attempts per IP per hour; 0 = no limit. */
  perIpPerHour: number;
  /** Attempts per address per day; 0 = no limit. */
  perAddressPerDay: number;
}

/** Abuse limits on sign-up, counted in Redis so every API process shares them. */
export interface SignupLimits {
  /** Counts one attempt from `ip`; throws a 429 HttpError (with Retry-After) past the limit. */
  consumeIp(ip: string): Promise<void>;
  /** Counts one attempt for a normalised address; past the limit no further email goes out. */
  consumeAddress(email: string): Promise<void>;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

export function createSignupLimits(o: SignupLimitsOptions): SignupLimits {
  // Fixed-window counters (INCR + EXPIRE in one script); each key carries its own hash tag so the
  // counters spread over a Redis Cluster instead of crowding one slot.
  const limiter = (name: string, points: number, duration: number) =>
    points > 0 ? new RateLimiterRedis({ storeClient: o.redis, keyPrefix: o.keyPrefix(name), points, duration }) : undefined;
  const perIp = limiter('signup-ip', o.perIpPerHour, HOUR);
  const perAddress = limiter('confirm-addr', o.perAddressPerDay, DAY);

  async function consume(l: RateLimiterRedis | undefined, subject: string, message: string): Promise<void> {
    if (!l) return;
    try {
      await l.consume(`{${subject}}`);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw new HttpError(429, 'rate_limited', message, { 'Retry-After': String(retryAfter) });
    }
  }

  return {
    consumeIp: (ip) => consume(perIp, ip || 'unknown', 'Too many sign-up attempts from your network; try again later.'),
    // The address is hashed: the counter names no one, and the same answer whatever its status
    // keeps the limit from telling whether an address is subscribed.
    consumeAddress: (email) =>
      consume(perAddress, createHash('sha256').update(email).digest('hex').slice(0, 32), 'Too many sign-up attempts for this address today; check your inbox or try again tomorrow.'),
  };
}
