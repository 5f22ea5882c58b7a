import type { Cluster } from 'ioredis';
import type { Redis } from './redis';

const CLUSTER_SLOTS = 16384;

/**
 * Whether Redis answers now, within `timeoutMs`: a standalone (or Sentinel-led) Redis answers PING;
 * a Cluster is only as good as its worst slot, so every master that owns slots must answer, and a
 * slot whose master is gone (killed, not yet replaced by its replica) makes the answer no. That is
 * what /readyz reports and what the failover watch (redis-watch.ts) follows.
 */
export async function redisAnswers(redis: Redis, timeoutMs = 1000): Promise<boolean> {
  const timeout = new Promise<false>((resolve) => setTimeout(resolve, timeoutMs, false).unref());
  const ping = (r: Redis) => r.ping().then((reply) => reply === 'PONG', () => false);
  if (!redis.isCluster) return Promise.race([ping(redis), timeout]);
  const cluster = redis as unknown as Cluster;
  if (cluster.status !== 'ready') return false;
  const owners = new Set<string>();
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    const owner = cluster.slots[slot]?.[0];
    if (!owner) return false;
    owners.add(owner);
  }
  const byKey = new Map(cluster.nodes('master').map((n) => [`${n.options.host}:${n.options.port}`, n as unknown as Redis]));
  const checks = [...owners].map((key) => {
    const node = byKey.get(key);
    // Its connection is gone: the client learns the new owner from the cluster when it asks again.
    if (!node) cluster.refreshSlotsCache();
    return node ? ping(node) : Promise.resolve(false);
  });
  return Promise.race([Promise.all(checks).then((all) => all.every(Boolean)), timeout]);
}
