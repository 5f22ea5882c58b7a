import ipaddr from 'ipaddr.js';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ADDRESS_LIMIT } from '../keys';
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
  /** What an address's counter is keyed by (AddressHasher.counterSubject): a keyed hash, never the address. */
  addressSubject: (email: string) => string;
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

/**
 * The client a limit counts: an IPv4 address as it is, an IPv6 address by its /64 (one subscriber
 * line gets a whole /64, so single addresses would be free to rotate), anything else (a forged
 * X-Forwarded-For entry that is not an address) as one shared "invalid" client. At most 24
 * characters, whatever the request said.
 */
export function clientKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return 'invalid';
  const a = ipaddr.process(ip);
  if (a.kind() === 'ipv4') return a.toString();
  return `${(a as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16)).join(':')}::/64`;
}

export interface RateLimit {
  /** Counts one attempt for `subject`; throws a 429 HttpError with Retry-After past the limit. */
  consume(subject: string): Promise<void>;
  /** Throws the 429 if `subject` is already past the limit, without counting an attempt. */
  check(subject: string): Promise<void>;
}

/**
 * A fixed-window counter in Redis (INCR + EXPIRE in one script, rate-limiter-flexible), shared by
 * every API process. Each counter carries its own hash tag, so counters spread over a Redis Cluster.
 * `points` 0 means no limit.
 */
export function createRateLimit(o: { redis: Redis; keyPrefix: string; points: number; durationSeconds: number; message: string }): RateLimit {
  const limiter = o.points > 0 ? new RateLimiterRedis({ storeClient: o.redis, keyPrefix: o.keyPrefix, points: o.points, duration: o.durationSeconds }) : undefined;
  const tooMany = (msBeforeNext: number) =>
    new HttpError(429, 'rate_limited', o.message, { 'Retry-After': String(Math.max(1, Math.ceil(msBeforeNext / 1000))) });
  return {
    async consume(subject) {
      if (!limiter) return;
      try {
        await limiter.consume(`{${subject}}`);
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        throw tooMany(err.msBeforeNext);
      }
    },
    async check(subject) {
      if (!limiter) return;
      const r = await limiter.get(`{${subject}}`);
      if (r && r.consumedPoints >= o.points) throw tooMany(r.msBeforeNext);
    },
  };
}

export function createSignupLimits(o: SignupLimitsOptions): SignupLimits {
  const perIp = createRateLimit({ redis: o.redis, keyPrefix: o.keyPrefix('signup-ip'), points: o.perIpPerHour, durationSeconds: HOUR, message: 'Too many sign-up attempts from your network; try again later.' });
  const perAddress = createRateLimit({
    redis: o.redis,
    keyPrefix: o.keyPrefix(ADDRESS_LIMIT),
    points: o.perAddressPerDay,
    durationSeconds: DAY,
    message: 'Too many sign-up attempts for this address today; check your inbox or try again tomorrow.',
  });
  return {
    consumeIp: (ip) => perIp.consume(clientKey(ip)),
    // The same answer whatever the address's status keeps the limit from telling whether an address is subscribed.
    consumeAddress: (email) => perAddress.consume(o.addressSubject(email)),
  };
}
