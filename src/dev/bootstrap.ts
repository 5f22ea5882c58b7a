import path from 'node:path';
import { ConfigError, parseConfig, processEnv, resolveConfig, type Config, type ResolvedConfig } from '../config';
import { installCrashPolicy } from '../crash-policy';
import { createLogger, type Logger } from '../logger';
import { loadOrCreateDevSecrets } from './dev-secrets';
import { startEmbeddedRedis, type EmbeddedRedis } from './embedded-redis';

export interface Bootstrapped {
  /** Redis is definite here: REDIS_URL, or the embedded redis-server this bootstrap found or started. */
  config: ResolvedConfig;
  logger: Logger;
  /** True when the publisher token and signing key came from var/dev-secrets.json. */
  devSecrets: boolean;
  /** Stops what the bootstrap started (the embedded redis-server, if this process owns it). */
  stop(): Promise<void>;
}

/**
 * Reads and validates the configuration once; on a newcomer's machine fills the gaps: a local
 * redis-server, a dev outbox and generated secrets. A bad value stops the process naming it.
 */
export async function bootstrap(role: string): Promise<Bootstrapped> {
  let parsed: Config;
  let devSecrets = false;
  try {
    parsed = parseConfig(processEnv(), (varDir) => {
      devSecrets = true;
      return loadOrCreateDevSecrets(varDir);
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`kilat: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(parsed.logLevel, role);
  installCrashPolicy(logger);
  let embedded: EmbeddedRedis | undefined;
  const config = await resolveConfig(parsed, async ({ varDir }) => {
    embedded = await startEmbeddedRedis(path.join(varDir, 'redis'), logger);
    return embedded.url;
  });
  return {
    config,
    logger,
    devSecrets,
    stop: async () => {
      if (embedded?.owned) await embedded.stop();
    },
  };
}

/** The newcomer's banner: where things are and the token to publish with (never in the JSON logs). */
export function devBanner(config: Config, viaDevSecrets: boolean): string {
  const lines = [
    '',
    `  Kilat is running at ${config.publicUrl}`,
    `  Sign-up page:   ${config.publicUrl}/`,
    config.smtpUrl ? `  SMTP:           ${redactUrl(config.smtpUrl)}` : `  Dev outbox:     ${config.publicUrl}/dev/outbox  (SMTP_URL not set: emails are written to ${path.join(config.varDir, 'outbox')})`,
  ];
  if (viaDevSecrets) {
    lines.push(`  Publisher token (generated, stored in ${path.join(config.varDir, 'dev-secrets.json')}):`, `    ${config.publisherToken}`);
  }
  return lines.join('\n') + '\n';
}

function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
