import type { Redis } from 'ioredis';
import type { Config } from '../config';
import type { Keys } from '../keys';
import { SignupAttribution } from './signup-attribution';
import { SignupChallenge } from './signup-challenge';
import { SignupStats } from './signup-stats';

export interface SignupTracking {
  stats: SignupStats;
  attribution: SignupAttribution;
  /** Present when SIGNUP_CHALLENGE=altcha. */
  challenge?: SignupChallenge;
}

/** The sign-up attribution objects of one process, from its config and Redis (issue 12). */
export function createSignupTracking(config: Config, core: { redis: Redis; keys: Keys }): SignupTracking {
  const stats = new SignupStats({ redis: core.redis, keys: core.keys, timeZone: config.timeZone });
  return {
    stats,
    attribution: new SignupAttribution({ redis: core.redis, keys: core.keys, stats }),
    challenge: config.signupChallenge === 'altcha' ? new SignupChallenge({ redis: core.redis, keyPrefix: core.keys.prefix, secretKey: config.secretKey }) : undefined,
  };
}
