import { ConfigError } from './config-error';
import type { Config } from './parse-config';

/** A Config whose Redis is known: what every process runs on once start-up has found its Redis. */
export type ResolvedConfig = Config & { redisUrl: string };

/**
 * The config with a definite Redis URL: REDIS_URL (or REDIS_CLUSTER_NODES) when set, else the one
 * `startLocalRedis` gives (the dev bootstrap's embedded redis-server); without either it is a
 * configuration error, named as such.
 */
export async function resolveConfig(config: Config, startLocalRedis?: (config: Config) => Promise<string>): Promise<ResolvedConfig> {
  if (config.redisUrl !== undefined) return { ...config, redisUrl: config.redisUrl };
  if (!startLocalRedis) throw new ConfigError('Missing required configuration: REDIS_URL');
  return { ...config, redisUrl: await startLocalRedis(config) };
}

/** The same, for callers that were given REDIS_URL (tests, the workers a parent forked with it). */
export function requireRedisUrl(config: Config): ResolvedConfig {
  if (config.redisUrl === undefined) throw new ConfigError('Missing required configuration: REDIS_URL');
  return { ...config, redisUrl: config.redisUrl };
}
