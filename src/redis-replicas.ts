import type { Cluster } from 'ioredis';
import type { Redis } from './redis';

/** Raised when a write's confirmation cannot vouch for it: the connection it went out on was lost meanwhile. */
export class ConnectionLostError extends Error {
  constructor() {
    // Worded like ioredis's own error, so isRedisUnavailable (durable-writes.ts) retries the write.
    super('Connection is closed before the replicas confirmed the write');
    this.name = 'ConnectionLostError';
  }
}

export interface ReplicaConfirm {
  /** Grows each time a connection to Redis (any Cluster node) closes. */
  epoch(): number;
  /**
   * Resolves once a replica of the master holding `key` has every write this client made before
   * the call (WAIT 1), or at once when that master has no replica. Throws ConnectionLostError when
   * a connection closed since `since` (an epoch read before the write): the write may have gone to a
   * master that died before passing it on, and a WAIT ioredis re-sent to its successor proves nothing.
   */
  confirm(key: string, since: number): Promise<void>;
}

/**
 * One WAIT's bound. WAIT holds up the commands queued behind it on the same connection (the
 * worker's PING, its other writes), so it is short, and repeated, up to `maxWaitMs`, for a replica
 * that is connected but slow; a replica that answers acks within a round trip.
 */
const WAIT_MS = 100;
/** How long a master's replica count is trusted before ROLE is asked again. */
const ROLE_TTL_MS = 5000;

/**
 * Redis replicates asynchronously: a write the master acknowledged is lost if the master dies
 * before a replica got it, and the replica promoted in its place never heard of it. For the writes
 * that record what already happened in the world (a message the relay accepted, a batch finished),
 * that would mean mailing people again or an alert that never completes. WAIT on the node that
 * holds the key (a pipeline keyed by it, so a Cluster routes it there) closes that gap with one
 * round trip; a master without replicas (standalone, or one just promoted) is not waited on.
 */
export function createReplicaConfirm(deps: { redis: Redis; maxWaitMs: number }): ReplicaConfirm {
  const { redis } = deps;
  let epoch = 0;
  const bump = () => {
    epoch++;
  };
  redis.on('close', bump);
  if (redis.isCluster) {
    const cluster = redis as unknown as Cluster;
    // A Cluster's own 'close' is for the whole client: each node's connection is watched too.
    const watchNode = (node: Redis) => node.on('close', bump);
    cluster.on('+node', watchNode);
    cluster.on('-node', bump);
  }
  // Replica counts per key (each key names its master), refreshed every ROLE_TTL_MS and after any
  // lost connection: a master just promoted has none, and a WAIT for one would only hold the line.
  const replicas = new Map<string, { n: number; at: number; epoch: number }>();

  const exec = async (key: string, args: [string, ...(string | number)[]]): Promise<unknown> => {
    const res = await redis.pipeline().exists(key).call(...args).exec();
    const [err, value] = res?.[1] ?? [new ConnectionLostError(), undefined];
    if (err) throw err;
    return value;
  };
  const replicaCount = async (key: string): Promise<number> => {
    const known = replicas.get(key);
    if (known && known.epoch === epoch && Date.now() - known.at < ROLE_TTL_MS) return known.n;
    const asked = epoch;
    const role = (await exec(key, ['ROLE'])) as [string, number, unknown[]?];
    // A replica answering for the key (a failover under way): not where the write went.
    if (role[0] !== 'master') throw new Error(`READONLY: ${key} is served by a ${role[0]}`);
    const n = Array.isArray(role[2]) ? role[2].length : 0;
    if (replicas.size > 1000) replicas.clear();
    replicas.set(key, { n, at: Date.now(), epoch: asked });
    return n;
  };

  return {
    epoch: () => epoch,
    async confirm(key, since) {
      const deadline = Date.now() + deps.maxWaitMs;
      for (;;) {
        if (epoch !== since) throw new ConnectionLostError();
        if ((await replicaCount(key)) === 0) break;
        const acked = Number(await exec(key, ['WAIT', 1, WAIT_MS]));
        if (acked >= 1) break;
        // Its replica went away or lags: count again, and stop waiting after maxWaitMs (the write
        // is on the master; holding the batch longer would not make it safer).
        replicas.delete(key);
        if (Date.now() >= deadline) break;
      }
      if (epoch !== since) throw new ConnectionLostError();
    },
  };
}
