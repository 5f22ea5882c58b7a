/**
 * One URL for Redis whatever its shape, so it travels to forked workers as REDIS_URL: a cluster given
 * as REDIS_CLUSTER_NODES becomes `redis://<first node>?cluster=true&nodes=<the others>`, Sentinels
 * given as REDIS_SENTINELS become `redis://<first sentinel>?sentinel=<name>&nodes=<the others>` (user,
 * password and rediss: taken from REDIS_URL when that is set too). Undefined: none is set (the dev
 * bootstrap starts a local redis-server, see resolved-config.ts).
 */
export function redisUrlFrom(
  redisUrl: string | undefined,
  clusterNodes: string | undefined,
  sentinels?: { nodes: string; name: string },
): string | undefined {
  const list = clusterNodes ?? (sentinels ? sentinels.nodes : undefined);
  if (!list) return redisUrl;
  const [first, ...rest] = list.split(',');
  const u = new URL(redisUrl ?? 'redis://localhost');
  // A password alone (requirepass, no ACL user) is `redis://:pass@host`: keep it too.
  const auth = u.username || u.password ? `${u.username}${u.password ? `:${u.password}` : ''}@` : '';
  const base = `${u.protocol}//${auth}${first}`;
  const kind = clusterNodes ? 'cluster=true' : `sentinel=${encodeURIComponent(sentinels!.name)}`;
  return `${base}?${kind}${rest.length > 0 ? `&nodes=${rest.join(',')}` : ''}`;
}
