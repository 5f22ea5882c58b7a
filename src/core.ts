import type { Config } from './config';
import { createKeys, type Keys } from './keys';
import type { Logger } from './logger';
import { createQueues, type Queues } from './queues';
import { createRedis, type Redis, type RedisRole } from './redis';
import { AlertStore } from './alerts/alert-store';
import { AddressHasher } from './subscribers/address-hasher';
import { createLinks, type Links } from './subscribers/links';
import { SubscriberStore } from './subscribers/subscriber-store';
import { MessageTags } from './subscribers/message-tags';
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
  /** Keyed address hashes for the suppression set (same keys as the signer). */
  hasher: AddressHasher;
  links: Links;
  /** Verifies the signed tags of sent copies (Message-ID, VERP) that bounce reports quote. */
  tags: MessageTags;
  queues: Queues;
  close(): Promise<void>;
}

export function createCore(config: Config, logger: Logger, role: RedisRole): Core {
  if (!config.redisUrl) throw new Error('REDIS_URL is not set (the dev bootstrap should have set it)');
  const redis = createRedis(config.redisUrl, role);
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  const keys = createKeys(config.keyPrefix);
  // The current key signs; previous keys (SECRET_KEY_PREVIOUS) still verify links in emails already sent.
  const signer = new TokenSigner([config.secretKey, ...config.previousSecretKeys]);
  const tags = new MessageTags([config.secretKey, ...config.previousSecretKeys]);
  const queues = createQueues(redis, keys.queuePrefix, { sendRetryBaseMs: config.sendRetryBaseMs });
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
    hasher: new AddressHasher([config.secretKey, ...config.previousSecretKeys]),
    links: createLinks({ publicUrl: config.publicUrl, signer, tags, confirmTokenTtlSeconds: config.confirmTokenTtlSeconds }),
    tags,
    queues,
    async close() {
      // Closing a queue waits for Redis; with Redis gone that would hang shutdown.
      await Promise.race([queues.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
      redis.disconnect();
    },
  };
}
