import type { Logger } from './logger';
import type { Redis } from './redis';
import { redisAnswers } from './redis-health';

export interface RedisWatch {
  /** Times this process found Redis unreachable (a failover, a restart, a lost node) since it started. */
  readonly failovers: number;
  /** True while Redis does not answer. */
  readonly down: boolean;
  close(): void;
}

/**
 * Follows one connection through failovers and restarts, for the operator: one warning when Redis
 * stops answering ("waiting for Redis failover"), one info line with how long it took when it answers
 * again, and a count for the Prometheus counter. Connection errors in between (every reconnect
 * attempt, every node) go to debug: they are the same event. An error that comes and goes without
 * Redis ever failing to answer is logged as a warning of its own.
 */
export function watchRedis(deps: { redis: Redis; logger: Logger; intervalMs?: number; timeoutMs?: number }): RedisWatch {
  const { redis, logger } = deps;
  let downSince: number | undefined;
  let failovers = 0;
  let lastError: string | undefined;
  let probing = false;
  let closed = false;

  const probe = async () => {
    if (probing || closed) return;
    probing = true;
    try {
      const ok = await redisAnswers(redis, deps.timeoutMs ?? 1000);
      if (closed) return;
      if (!ok && downSince === undefined) {
        downSince = Date.now();
        failovers++;
        logger.warn({ err: lastError }, 'waiting for Redis failover: Redis does not answer');
      } else if (ok && downSince !== undefined) {
        const ms = Date.now() - downSince;
        downSince = undefined;
        logger.info({ ms }, `Redis answers again after ${ms} ms`);
      } else if (ok && lastError !== undefined) {
        logger.warn({ err: lastError }, 'redis connection error');
      }
      if (ok) lastError = undefined;
    } finally {
      probing = false;
    }
  };
  const timer = setInterval(() => void probe(), deps.intervalMs ?? 500);
  timer.unref();
  const onError = (err: Error) => {
    lastError = err.message;
    logger.debug({ err: err.message }, 'redis connection error');
    if (downSince === undefined) void probe();
  };
  redis.on('error', onError);
  // A Cluster reports trouble with one node here, not as 'error'.
  redis.on('node error', onError);
  return {
    get failovers() {
      return failovers;
    },
    get down() {
      return downSince !== undefined;
    },
    close() {
      closed = true;
      clearInterval(timer);
      redis.off('error', onError);
      redis.off('node error', onError);
    },
  };
}
