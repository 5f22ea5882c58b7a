import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { connectWhenReady, freePort } from '../src/dev/embedded-redis';

/** Every process the benchmark starts, so that one call stops them all whatever happened. */
export class ProcessGroup {
  private readonly children = new Set<ChildProcess>();

  spawn(command: string, args: string[], opts: Parameters<typeof spawn>[2] = {}): ChildProcess {
    // Own process group: killing -pid also stops what the child forked (Kilat's worker processes).
    const child = spawn(command, args, { ...opts, detached: true });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  async stop(child: ChildProcess, graceMs = 10_000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    // Whatever the child left in its group (a worker that outlived its parent) goes too.
    signalGroup(child.pid, 'SIGKILL');
  }

  /** Stops the newest first: Kilat shuts down cleanly while its Redis and SMTP server still answer. */
  async stopAll(): Promise<void> {
    for (const c of [...this.children].reverse()) await this.stop(c);
  }

  /** Last resort on process exit: synchronous kill of every group. */
  killAllNow(): void {
    for (const c of this.children) if (c.pid) signalGroup(c.pid, 'SIGKILL');
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function findExecutable(name: string, extraDirs: string[] = ['/usr/sbin', '/usr/local/sbin']): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface BenchRedis {
  url: string;
  /** One client per node (one for a standalone Redis), for memory figures; closed by the caller. */
  clients: Redis[];
}

const redisArgs = (port: number, dir: string) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];

async function startNode(group: ProcessGroup, port: number, args: string[]): Promise<Redis> {
  const child = group.spawn('redis-server', args, { stdio: 'ignore' });
  const client = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, maxRetriesPerRequest: 3, retryStrategy: () => 100 });
  client.on('error', () => undefined);
  await connectWhenReady(client, child);
  return client;
}

export async function startRedis(group: ProcessGroup, dir: string): Promise<BenchRedis> {
  const port = await freePort();
  return { url: `redis://127.0.0.1:${port}`, clients: [await startNode(group, port, redisArgs(port, dir))] };
}

/**
 * `masters` redis-server processes joined into a Redis Cluster (no replicas: the bench measures the
 * cluster path's cost, not failover) with `redis-cli --cluster create`; the URL names it as an
 * operator would (`?cluster=true&nodes=…`).
 */
export async function startRedisCluster(group: ProcessGroup, dir: string, masters: number): Promise<BenchRedis> {
  const ports: number[] = [];
  const clients: Redis[] = [];
  for (let i = 0; i < masters; i++) {
    const port = await freePort();
    const bus = await freePort();
    ports.push(port);
    const args = [...redisArgs(port, dir), '--cluster-enabled', 'yes', '--cluster-port', String(bus), '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '5000'];
    clients.push(await startNode(group, port, args));
  }
  const create = group.spawn('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => create.once('exit', resolve));
  if (code !== 0) throw new Error(`redis-cli --cluster create exited with ${code}`);
  const deadline = Date.now() + 30_000;
  for (const c of clients) {
    while (!/cluster_state:ok/.test(String(await c.cluster('INFO')))) {
      if (Date.now() > deadline) throw new Error('the bench cluster did not become ok within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const more = ports.slice(1).map((p) => `127.0.0.1:${p}`).join(',');
  return { url: `redis://127.0.0.1:${ports[0]}?cluster=true&nodes=${more}`, clients };
}

export interface SinkSample {
  t: number;
  count: number;
}

/** Postfix's smtp-sink: accepts and discards mail; `-c` prints a running count of accepted messages. */
export interface SmtpSink {
  port: number;
  /** Messages accepted so far (every "." the sink answered). */
  count(): number;
  /** Calls `fn` on every change of the count, with the time it was read. */
  onCount(fn: (sample: SinkSample) => void): () => void;
}

export async function startSmtpSink(group: ProcessGroup, binary: string): Promise<SmtpSink> {
  const port = await freePort();
  // -u is required when running as root (the sink drops privileges after binding).
  const userArgs = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
  const child = group.spawn(binary, ['-c', ...userArgs, '-m', '1024', `127.0.0.1:${port}`, '1024'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let count = 0;
  const listeners = new Set<(s: SinkSample) => void>();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => {
    const text = d.toString('latin1');
    const at = text.lastIndexOf('mesg=');
    if (at < 0) return;
    const n = parseInt(text.slice(at + 5), 10);
    if (n > count) {
      count = n;
      const sample = { t: performance.now(), count };
      for (const l of listeners) l(sample);
    }
  });
  // Ready when it accepts a TCP connection.
  const net = await import('node:net');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`smtp-sink did not start: ${stderr.trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    count: () => count,
    onCount(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

/**
 * Postfix's smtp-source (C) pushing `messages` copies of `messageFile` through `sessions` parallel
 * connections that stay open (-d): the most this machine's sink accepts, the wire limit.
 */
export async function runSmtpSource(
  group: ProcessGroup,
  binary: string,
  opts: { port: number; sessions: number; messages: number; messageFile: string; from: string; to: string; timeoutMs: number },
): Promise<{ ms: number; ok: boolean; stderr: string }> {
  const start = performance.now();
  const child = group.spawn(
    binary,
    ['-d', '-s', String(opts.sessions), '-m', String(opts.messages), '-F', opts.messageFile, '-f', opts.from, '-t', opts.to, `127.0.0.1:${opts.port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => void group.stop(child, 1000), opts.timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { ms: performance.now() - start, ok: code === 0, stderr };
}

/** Child processes of `pid` (Kilat's forked workers), from /proc. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) follows the parenthesised command name, which may itself hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Current and peak resident memory of a process in MB (VmRSS, VmHWM), or undefined once it is gone. */
export function memoryOf(pid: number): { rssMB: number; peakMB: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}
