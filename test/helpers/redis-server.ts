import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { connectWhenReady, freePort } from '../../src/dev/embedded-redis';

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  /** A plain client for assertions; closed by stop(). */
  client: Redis;
  /** Kills the server hard (SIGKILL, like a crash); the data dir stays for restart(). */
  crash(): Promise<void>;
  /** Starts the server again on the same port and dir (AOF, if enabled, brings the data back). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A private redis-server on a free port in a temp dir: tests never touch a Redis they did not start. */
export async function startTestRedis(extraArgs: string[] = []): Promise<TestRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...extraArgs];
  let proc = spawn('redis-server', args, { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => 100, maxRetriesPerRequest: 3 });
  client.on('error', () => undefined);
  await connectWhenReady(client, proc);
  const kill = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      });
    }
  };
  return {
    url,
    port,
    dir,
    get process() {
      return proc;
    },
    client,
    crash: kill,
    async restart() {
      await kill();
      proc = spawn('redis-server', args, { stdio: 'ignore' });
      const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => undefined);
      await connectWhenReady(probe, proc).finally(() => probe.disconnect());
    },
    async stop() {
      client.disconnect();
      await kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
