/**
 * One URL for Redis whatever its shape, so it travels to forked workers as REDIS_URL: a cluster given
 * as REDIS_CLUSTER_NODES becomes `redis://<first node>?cluster=true&nodes=<the others>` (user,
 * password and rediss: taken from REDIS_URL when that is set too). Undefined: neither is set (the
 * dev bootstrap starts a local redis-server, see resolved-config.ts).
 */
export function redisUrlFrom(redisUrl: string | undefined, clusterNodes: string | undefined): string | undefined {
  if (!clusterNodes) return redisUrl;
  const [first, ...rest] = clusterNodes.split(',');
  const u = new URL(redisUrl ?? 'redis://localhost');
  const base = `${u.protocol}//${u.username ? `${u.username}${u.password ? `:${u.password}` : ''}@` : ''}${first}`;
  return `${base}?cluster=true${rest.length > 0 ? `&nodes=${rest.join(',')}` : ''}`;
}
