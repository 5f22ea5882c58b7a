import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../src/dev/embedded-redis';

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  /** A plain client for assertions; closed by stop(). */
  client: Redis;
  stop(): Promise<void>;
}

/** A private redis-server on a free port in a temp dir: tests never touch a Redis they did not start. */
export async function startTestRedis(extraArgs: string[] = []): Promise<TestRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-redis-'));
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...extraArgs], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => 100, maxRetriesPerRequest: 3 });
  client.on('error', () => undefined);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch {
      client.disconnect();
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error('test redis-server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    port,
    dir,
    process: proc,
    client,
    async stop() {
      client.disconnect();
      if (proc.exitCode === null && proc.signalCode === null) {
        await new Promise<void>((resolve) => {
          proc.once('exit', () => resolve());
          proc.kill('SIGKILL');
        });
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
