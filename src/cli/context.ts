import path from 'node:path';
import pino from 'pino';
import { parseConfig, type Config } from '../config';
import { createCore, type Core } from '../core';
import { loadOrCreateDevSecrets } from '../dev/dev-secrets';
import { startEmbeddedRedis } from '../dev/embedded-redis';
import { waitForRedis } from '../redis';

export interface CliContext {
  config: Config;
  core: Core;
  close(): Promise<void>;
}

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * The same configuration as the service, and Redis directly: the CLI works with the API down.
 * Without REDIS_URL (development) it uses the local redis-server that `npm start` keeps under var/.
 */
export async function openContext(env: Record<string, string | undefined>): Promise<CliContext> {
  let config = parseConfig(env, (varDir) => loadOrCreateDevSecrets(varDir));
  // Quiet unless asked: the CLI's own output is for people; JSON log lines go to stderr.
  const logger = pino({ level: env.LOG_LEVEL ? config.logLevel : 'warn' }, pino.destination(2));
  let stopRedis = async () => undefined as void;
  if (!config.redisUrl) {
    const embedded = await startEmbeddedRedis(path.join(config.varDir, 'redis'), logger);
    config = { ...config, redisUrl: embedded.url };
    if (embedded.owned) stopRedis = embedded.stop;
  }
  const core = createCore(config, logger, 'worker');
  try {
    await waitForRedis(core.redis, 5000);
  } catch {
    await core.close();
    await stopRedis();
    throw new CliError(`cannot reach Redis at ${redactUrl(config.redisUrl!)} (check REDIS_URL)`);
  }
  return {
    config,
    core,
    async close() {
      await core.close();
      await stopRedis();
    },
  };
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}
