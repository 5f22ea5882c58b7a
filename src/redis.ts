import { Redis, type RedisOptions } from 'ioredis';

export type { Redis };

export type RedisRole =
  /** Request path: fail fast so the API can answer 503 instead of hanging while Redis is down. */
  | 'api'
  /** BullMQ workers and the store they use: wait for Redis to come back rather than fail jobs. */
  | 'worker';

export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    role === 'api'
      ? {
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
          connectTimeout: 2000,
          retryStrategy: (times) => Math.min(times * 200, 2000),
        }
      : {
          maxRetriesPerRequest: null,
          enableReadyCheck: true,
          retryStrategy: (times) => Math.min(times * 200, 2000),
        };
  return new Redis(url, { lazyConnect: false, ...options, ...extra });
}

/** Resolves once the connection is ready (or rejects after `timeoutMs`). */
export async function waitForRedis(redis: Redis, timeoutMs = 10000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}
