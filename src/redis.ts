import { Cluster, Redis, type RedisOptions } from 'ioredis';

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
  const cluster = clusterNodes(url);
  if (cluster) {
    const u = new URL(url);
    const { retryStrategy, enableOfflineQueue, ...nodeOptions } = { ...options, ...extra };
    // A Cluster client speaks the same commands; every key Kilat uses carries a hash tag, and each
    // script and pipeline stays inside one tag, so callers need not know which they hold.
    return new Cluster(cluster, {
      lazyConnect: false,
      enableOfflineQueue: enableOfflineQueue ?? true,
      enableReadyCheck: true,
      clusterRetryStrategy: retryStrategy ? (times) => retryStrategy(times) ?? null : undefined,
      redisOptions: {
        ...nodeOptions,
        username: u.username ? decodeURIComponent(u.username) : undefined,
        password: u.password ? decodeURIComponent(u.password) : undefined,
        tls: u.protocol === 'rediss:' ? {} : undefined,
      },
    }) as unknown as Redis;
  }
  return new Redis(url, { lazyConnect: false, ...options, ...extra });
}

/**
 * The start-up nodes when `url` names a Redis Cluster (`redis://host:port?cluster=true`, optionally
 * `&nodes=host:port,host:port`; config turns REDIS_CLUSTER_NODES into that form), else undefined.
 */
export function clusterNodes(url: string): { host: string; port: number }[] | undefined {
  const u = new URL(url);
  if (u.searchParams.get('cluster') !== 'true') return undefined;
  const first = { host: u.hostname, port: Number(u.port || 6379) };
  const more = (u.searchParams.get('nodes') ?? '')
    .split(',')
    .filter(Boolean)
    .map((n) => ({ host: n.slice(0, n.lastIndexOf(':')), port: Number(n.slice(n.lastIndexOf(':') + 1)) }));
  return [first, ...more];
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
