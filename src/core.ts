import type { Config } from './config';
import { createKeys, type Keys } from './keys';
import type { Logger } from './logger';
import { createQueues, type Queues } from './queues';
import { createRedis, type Redis, type RedisRole } from './redis';
import { AlertStore } from './alerts/alert-store';
import { createLinks, type Links } from './subscribers/links';
import { SubscriberStore } from './subscribers/subscriber-store';
import { TokenSigner } from './subscribers/tokens';

/** What both processes (API and worker) share: Redis, the stores, tokens and the queues. */
export interface Core {
  config: Config;
  logger: Logger;
  redis: Redis;
  keys: Keys;
  subscribers: SubscriberStore;
  alerts: AlertStore;
  signer: TokenSigner;
  links: Links;
  queues: Queues;
  close(): Promise<void>;
}

export function createCore(config: Config, logger: Logger, role: RedisRole): Core {
  if (!config.redisUrl) throw new Error('REDIS_URL is not set (the dev bootstrap should have set it)');
  const redis = createRedis(config.redisUrl, role);
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  const keys = createKeys(config.keyPrefix);
  const signer = new TokenSigner([config.secretKey]);
  const queues = createQueues(redis, keys.queuePrefix);
  for (const q of [queues.fanout, queues.send, queues.confirmations]) {
    q.on('error', (err) => logger.warn({ queue: q.name, err: err.message }, 'queue connection error'));
  }
  return {
    config,
    logger,
    redis,
    keys,
    subscribers: new SubscriberStore({ redis, keys }),
    alerts: new AlertStore({ redis, keys }),
    signer,
    links: createLinks({ publicUrl: config.publicUrl, signer, confirmTokenTtlSeconds: config.confirmTokenTtlSeconds }),
    queues,
    async close() {
      // Closing a queue waits for Redis; with Redis gone that would hang shutdown.
      await Promise.race([queues.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
      redis.disconnect();
    },
  };
}
