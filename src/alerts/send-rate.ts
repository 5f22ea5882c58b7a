import type { Redis } from 'ioredis';
import { defineScripts } from '../redis-scripts';
import { ALERT_SCRIPTS } from './alert-scripts';

// The token bucket itself is commands/take-tokens-1.lua: Redis's clock is the only clock.

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
  const run = defineScripts(deps.redis, ALERT_SCRIPTS);
  const chunk = Math.max(1, Math.min(50, Math.floor(deps.perSecond / 20)));
  const burst = Math.max(chunk, Math.ceil(deps.perSecond / 10));
  let local = 0;
  let refilling: Promise<void> | undefined;

  const refill = async () => {
    for (;;) {
      const [granted, waitMs] = (await run('take-tokens', [deps.key], [deps.perSecond, burst, chunk])) as [number, number];
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
