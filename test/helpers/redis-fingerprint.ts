import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A digest of every key and value in the (small, test) database: equal digests mean nothing changed. */
export async function redisFingerprint(redis: Redis): Promise<string> {
  const keys = (await redis.keys('*')).sort();
  const h = createHash('sha256');
  for (const key of keys) {
    const type = await redis.type(key);
    let value: unknown;
    if (type === 'string') value = await redis.getBuffer(key).then((b) => b?.toString('base64'));
    else if (type === 'hash') value = Object.entries(await redis.hgetall(key)).sort();
    else if (type === 'zset') value = await redis.zrangebyscore(key, '-inf', '+inf', 'WITHSCORES');
    else if (type === 'list') value = await redis.lrange(key, 0, -1);
    else if (type === 'set') value = (await redis.smembers(key)).sort();
    else value = type;
    h.update(JSON.stringify([key, type, value]));
  }
  return `${keys.length}:${h.digest('hex')}`;
}
