import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type { Redis };

export type RedisRole =
  /** Request path: fail fast so the API can answer 503 instead of hanging while Redis is down. */
  | 'api'
  /** BullMQ workers and the store they use: wait for Redis to come back rather than fail jobs. */
  | 'worker';

export interface RedisConnectOptions {
  /**
   * How long a worker's command waits out a Cluster failover (MOVED, TRYAGAIN, CLUSTERDOWN, a closed
   * connection) before it fails: REDIS_FAILOVER_WAIT_MS. It must cover the cluster's node timeout
   * plus an election; ioredis's default (16 redirections, about 1.6 s) does not.
   */
  failoverWaitMs?: number;
  /** Extra ioredis options (tests, BullMQ's blocking connection). */
  extra?: RedisOptions;
}

/** The wait between two tries of a command during a Cluster failover. */
const FAILOVER_RETRY_MS = 200;
export const DEFAULT_FAILOVER_WAIT_MS = 15_000;

export function createRedis(url: string, role: RedisRole, opts: RedisConnectOptions = {}): Redis {
  const extra = opts.extra ?? {};
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
  const u = new URL(url);
  const auth = {
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    tls: u.protocol === 'rediss:' ? {} : undefined,
  };
  const cluster = clusterNodes(url);
  if (cluster) {
    const { retryStrategy, enableOfflineQueue, ...nodeOptions } = { ...options, ...extra };
    // The API answers 503 within about a second (ioredis's default 16 tries); a worker's command
    // outlasts a failover, so the ledger write of a message the relay accepted is not given up.
    const waitMs = role === 'worker' ? (opts.failoverWaitMs ?? DEFAULT_FAILOVER_WAIT_MS) : 0;
    // A Cluster client speaks the same commands; every key Kilat uses carries a hash tag, and each
    // script and pipeline stays inside one tag, so callers need not know which they hold.
    return new Cluster(cluster, {
      lazyConnect: false,
      enableOfflineQueue: enableOfflineQueue ?? true,
      enableReadyCheck: true,
      clusterRetryStrategy: retryStrategy ? (times) => retryStrategy(times) ?? null : undefined,
      ...(waitMs > 0
        ? {
            maxRedirections: Math.max(16, Math.ceil(waitMs / FAILOVER_RETRY_MS)),
            retryDelayOnFailover: FAILOVER_RETRY_MS,
            retryDelayOnClusterDown: FAILOVER_RETRY_MS,
            retryDelayOnTryAgain: FAILOVER_RETRY_MS,
            // A MOVED right after a promotion can point at a node not yet sure of its slots.
            retryDelayOnMoved: 50,
          }
        : {}),
      redisOptions: { ...nodeOptions, ...auth },
    }) as unknown as Redis;
  }
  const sentinel = sentinelsOf(url);
  if (sentinel) {
    // ioredis asks the sentinels for the master on every (re)connect, so a master that dies (its
    // connections close) is followed to the one promoted. Not with ioredis's failoverDetector: the
    // detector of a connection that closed by itself stays subscribed to +switch-master, and when that
    // message lands while the client is reconnecting it aborts the connect and the client ends for
    // good (status 'end', never retried). That stalled every batch of a worker whose connections hit it.
    // A master that is demoted while a connection to it stays open answers writes with READONLY:
    // reconnect (asking the sentinels again) and send the command once more.
    return new Redis({
      lazyConnect: false,
      ...options,
      ...extra,
      ...auth,
      sentinels: sentinel.nodes,
      name: sentinel.name,
      role: 'master',
      reconnectOnError: (err) => (/^READONLY/.test(err.message) ? 2 : false),
      sentinelRetryStrategy: (times) => Math.min(times * 200, 2000),
    });
  }
  return new Redis(url, { lazyConnect: false, ...options, ...extra });
}

function hostPorts(first: { host: string; port: number }, more: string | null): { host: string; port: number }[] {
  const rest = (more ?? '')
    .split(',')
    .filter(Boolean)
    .map((n) => ({ host: n.slice(0, n.lastIndexOf(':')), port: Number(n.slice(n.lastIndexOf(':') + 1)) }));
  return [first, ...rest];
}

/**
 * The start-up nodes when `url` names a Redis Cluster (`redis://host:port?cluster=true`, optionally
 * `&nodes=host:port,host:port`; config turns REDIS_CLUSTER_NODES into that form), else undefined.
 */
export function clusterNodes(url: string): { host: string; port: number }[] | undefined {
  const u = new URL(url);
  if (u.searchParams.get('cluster') !== 'true') return undefined;
  return hostPorts({ host: u.hostname, port: Number(u.port || 6379) }, u.searchParams.get('nodes'));
}

/**
 * The sentinels and master name when `url` names a Redis behind Sentinel
 * (`redis://sentinel:26379?sentinel=<master name>&nodes=host:port,…`; config turns REDIS_SENTINELS
 * and REDIS_SENTINEL_NAME into that form), else undefined.
 */
export function sentinelsOf(url: string): { name: string; nodes: { host: string; port: number }[] } | undefined {
  const u = new URL(url);
  const name = u.searchParams.get('sentinel');
  if (!name) return undefined;
  return { name, nodes: hostPorts({ host: u.hostname, port: Number(u.port || 26379) }, u.searchParams.get('nodes')) };
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
