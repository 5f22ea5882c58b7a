import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ResolvedConfig } from '../../src/config';
import { PUBLISHER_TOKEN, SECRET_KEY } from './kilat';

const ROOT = path.resolve(__dirname, '..', '..');
export const BUILT_WORKER = path.join(ROOT, 'dist', 'workers', 'index.js');
export const BUILT_MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
/** The worker entry point as source, run through test/helpers/ts-register.js (no build needed). */
export const SOURCE_WORKER = path.join(ROOT, 'workers', 'index.ts');
export const TS_REGISTER = ['-r', path.join(ROOT, 'test', 'helpers', 'ts-register.js')];

export interface ChildService {
  process: ChildProcess;
  /** Every line the process wrote to stdout and stderr, in order. */
  lines: string[];
  /** Resolves with the exit code/signal once the process has exited and its output is all in `lines`. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal: NodeJS.Signals): void;
}

/** The environment a built Kilat process needs to join the same Redis and SMTP as a test's startKilat. */
export function envFor(config: ResolvedConfig, extra: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'test',
    REDIS_URL: config.redisUrl,
    SMTP_URL: config.smtpUrl!,
    PUBLIC_URL: config.publicUrl,
    MAIL_FROM: config.mailFrom,
    PUBLISHER_TOKEN,
    SECRET_KEY,
    VAR_DIR: config.varDir,
    BATCH_SIZE: String(config.batchSize),
    SEND_CONCURRENCY: String(config.sendConcurrency),
    WORKER_CONCURRENCY: String(config.workerConcurrency),
    SMTP_TIMEOUT_MS: String(config.smtpTimeoutMs),
    SIGNUP_LIMIT_PER_IP: String(config.signupLimitPerIp),
    CONFIRM_LIMIT_PER_ADDRESS: String(config.confirmLimitPerAddress),
    LOG_LEVEL: 'info',
  };
  return { ...base, ...extra };
}

/** Runs a built entry point (`npm run build` first) as a real child process, capturing its output. */
export function spawnBuilt(entry: string, env: Record<string, string>, args: string[] = [], nodeArgs: string[] = []): ChildService {
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run npm run build (npm run test:faults does)`);
  const proc = spawn(process.execPath, [...nodeArgs, entry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  for (const stream of [proc.stdout!, proc.stderr!]) {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts.filter((l) => l.length > 0));
      waiters.splice(0).forEach((w) => w());
    });
  }
  // 'close', not 'exit': the process has exited and its stdout and stderr are read to the end.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('close', (code, signal) => resolve({ code, signal })));
  return {
    process: proc,
    lines,
    exited,
    async waitForLine(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find((l) => pattern.test(l));
        if (found) return found;
        if (proc.exitCode !== null) throw new Error(`process exited before logging ${pattern}:\n${lines.slice(-20).join('\n')}`);
        if (Date.now() > deadline) throw new Error(`no line matching ${pattern} after ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    kill(signal) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
  };
}

/** Stops a child if it is still running (SIGKILL after `graceMs` of SIGTERM) and waits for it. */
export async function stopChild(child: ChildService | undefined, graceMs = 5000): Promise<void> {
  if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}
