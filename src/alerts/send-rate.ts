import type { Redis } from 'ioredis';
import { defineScripts } from '../redis-scripts';

// A token bucket in Redis shared by every worker process: `rate` tokens a second, at most `burst`
// saved up. Redis's own clock (TIME) is the only clock, so hosts with skewed clocks agree.
const SCRIPTS = {
  kilatTakeTokens: {
    keys: 1,
    // KEYS: bucket. ARGV: rate per second, burst, wanted. Returns {granted, wait ms when none}.
    lua: `
local rate, burst, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000)
if granted > 0 then return { granted, 0 } end
return { 0, math.ceil((1 - tokens) * 1000 / rate) }
`,
  },
} as const;

export interface SendRate {
  /** Resolves when one more message may go out under the global limit. */
  take(): Promise<void>;
}

/**
 * SEND_RATE_PER_SEC across all worker processes together (ESPs suspend senders that exceed their
 * rate). Each process fetches tokens in small chunks (a tenth of a second's worth at most), so the
 * limit costs one Redis call per chunk, not per message, and the processes share it fairly.
 */
export function createSendRate(deps: { redis: Redis; key: string; perSecond: number }): SendRate {
  const run = defineScripts(deps.redis, SCRIPTS);
  const chunk = Math.max(1, Math.min(50, Math.floor(deps.perSecond / 20)));
  const burst = Math.max(chunk, Math.ceil(deps.perSecond / 10));
  let local = 0;
  let refilling: Promise<void> | undefined;

  const refill = async () => {
    for (;;) {
      const [granted, waitMs] = (await run('kilatTakeTokens', [deps.key], [deps.perSecond, burst, chunk])) as [number, number];
      if (granted > 0) {
        local += granted;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.max(1, waitMs)));
    }
  };

  const take = async (): Promise<void> => {
    while (local <= 0) {
      refilling ??= refill().finally(() => {
        refilling = undefined;
      });
      await refilling;
    }
    local--;
  };
  return { take };
}
