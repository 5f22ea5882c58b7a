import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import pino from 'pino';
import { parseConfig, requireRedisUrl, type ResolvedConfig } from '../../src/config';
import { freePort } from '../../src/dev/embedded-redis';
import { waitForRedis } from '../../src/redis';
import { startApi, type ApiServer } from '../../src/server';
import { startWorkers, type RunningWorkers } from '../../workers';
import { startSmtpCapture, type SmtpCapture } from './smtp-capture';
import { startTestRedis, type TestRedis } from './redis-server';

export const PUBLISHER_TOKEN = 'test-publisher-token-0123456789';
export const SECRET_KEY = 'test-secret-key-0123456789abcdef0123456789';

export interface Kilat {
  config: ResolvedConfig;
  /** The environment the config was parsed from (for the CLI, which reads it itself). */
  env: Record<string, string>;
  baseUrl: string;
  redis: TestRedis;
  smtp: SmtpCapture;
  api: ApiServer;
  workers?: RunningWorkers;
  stop(): Promise<void>;
}

/**
 * The whole service on real parts: its own redis-server, a capturing SMTP server, the API on a free
 * port and (unless `workers: false`) the workers in this process.
 */
export interface KilatOptions {
  env?: Record<string, string>;
  /** false: the API only (the test starts workers itself, or needs none). */
  workers?: boolean;
  redisArgs?: string[];
  smtpCloseTimeoutMs?: number;
}

export async function startKilat(opts: KilatOptions = {}): Promise<Kilat> {
  const redis = await startTestRedis(opts.redisArgs);
  const smtp = await startSmtpCapture({ closeTimeoutMs: opts.smtpCloseTimeoutMs });
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-var-'));
  const port = await freePort();
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    REDIS_URL: redis.url,
    SMTP_URL: smtp.url,
    MAIL_FROM: '"Kilat Berita" <alerts@kilat.example>',
    PUBLISHER_TOKEN,
    SECRET_KEY,
    VAR_DIR: varDir,
    LOG_LEVEL: 'silent',
    // Every test request comes from 127.0.0.1: suites that are not about abuse limits turn them off;
    // the rate-limit tests set their own.
    SIGNUP_LIMIT_PER_IP: '0',
    CONFIRM_LIMIT_PER_ADDRESS: '0',
    // The seed article and most fixtures carry a publishedAt from the past: no stale guard unless a
    // test asks for one.
    ALERT_MAX_AGE: '0',
    ...opts.env,
  };
  const config = requireRedisUrl(parseConfig(env));
  const logger = pino({ level: 'silent' });
  const api = await startApi(config, logger);
  // The API's connection fails fast while not ready; tests that use its stores right away wait.
  await waitForRedis(api.core.redis);
  const baseUrl = `http://127.0.0.1:${api.port}`;
  const workers = opts.workers === false ? undefined : await startWorkers(config, logger);
  return {
    config,
    env,
    baseUrl,
    redis,
    smtp,
    api,
    workers,
    async stop(this: Kilat) {
      // this.workers: a test may have replaced them (a restarted worker process).
      await this.workers?.close();
      await api.close();
      await smtp.stop();
      await redis.stop();
      fs.rmSync(varDir, { recursive: true, force: true });
    },
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export const bearer = { authorization: `Bearer ${PUBLISHER_TOKEN}` };

/** The confirmation link in a captured email's text part. */
export function linkIn(text: string | undefined, route: string): string {
  const match = new RegExp(`https?://\\S+/${route}\\?token=[A-Za-z0-9._-]+`).exec(text ?? '');
  if (!match) throw new Error(`no /${route} link in:\n${text}`);
  return match[0];
}

export async function waitUntil<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
