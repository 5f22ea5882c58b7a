import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/dev/embedded-redis';
import { ask, killNow, until } from './redis-probe';

const run = promisify(execFile);

export interface TestCluster {
  /** REDIS_URL naming the cluster through its first node. */
  url: string;
  ports: number[];
  /** The port of the master that owns `key`'s slot now. */
  masterOf(key: string): Promise<number>;
  /** SIGKILLs the node on `port` (a crash: no shutdown, no failover handed over), and thaws replicas frozen by lagReplicaOf. */
  kill(port: number): Promise<void>;
  /**
   * Makes the replica of the master on `masterPort` fall behind while it stays connected (frozen,
   * its link's buffers filled by a large value written to `fillerKey`, a key of that master): what the
   * master acknowledges from now on stays in its own output buffer, and dies with it.
   */
  lagReplicaOf(masterPort: number, fillerKey: string): Promise<void>;
  /** Resolves once a replica owns the killed master's slots and every live node says the cluster is ok. */
  waitForPromotion(killedPort: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  /** Replicas per master (0: three masters only). */
  replicas?: number;
  /** AOF on (appendfsync everysec), as production clusters run. */
  appendonly?: boolean;
}

/**
 * A local Redis Cluster of three masters (and `replicas` replicas each) from redis-server binaries,
 * in a temp dir, on free ports (client and bus ports both chosen, so nothing collides), joined with
 * `redis-cli --cluster create`; cluster-node-timeout 2000 ms.
 */
export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const replicas = opts.replicas ?? 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-cluster-'));
  const procs = new Map<number, ChildProcess>();
  const ports: number[] = [];
  const kill = killNow;
  const stop = async () => {
    await Promise.all([...procs.values()].map(kill));
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3 * (1 + replicas); i++) {
      const port = await freePort();
      const bus = await freePort();
      ports.push(port);
      procs.set(
        port,
        spawn(
          'redis-server',
          ['--port', String(port), '--cluster-port', String(bus), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes',
            '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000', '--save', '',
            '--appendonly', opts.appendonly ? 'yes' : 'no', '--appendfilename', `appendonly-${port}.aof`, '--appenddirname', `aof-${port}`],
          { stdio: 'ignore' },
        ),
      );
    }
    for (const port of ports) await until(async () => (await ask(port, (r) => r.ping())) === 'PONG', 'redis-server to start');
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: 30_000 });
    // ok on every node, and every replica attached to its master (so a failover has someone to promote)
    for (const port of ports) {
      await until(async () => /cluster_state:ok/.test(String(await ask(port, (r) => r.cluster('INFO')))), 'the cluster to be ok', 30_000);
    }
    await until(async () => (await replicasInSync(ports[0]!)) >= 3 * replicas, 'the replicas to sync', 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const frozen: number[] = [];
  const live = () => ports.filter((p) => procs.get(p)!.exitCode === null && procs.get(p)!.signalCode === null);
  const masterOf = async (key: string) => {
    for (const port of live()) {
      const slot = await ask(port, (r) => r.cluster('KEYSLOT', key) as Promise<number>);
      const slots = await ask(port, (r) => r.cluster('SLOTS'));
      const owner = slots?.find(([from, to]) => slot !== undefined && slot >= from && slot <= to)?.[2];
      if (owner) return owner[1];
    }
    throw new Error(`no live node knows the owner of ${key}`);
  };
  return {
    url: `redis://127.0.0.1:${ports[0]}?cluster=true`,
    ports,
    masterOf,
    async kill(port) {
      await kill(procs.get(port)!);
      for (const p of frozen.splice(0)) procs.get(p)!.kill('SIGCONT');
    },
    async lagReplicaOf(masterPort, fillerKey) {
      const nodes = String((await ask(masterPort, (r) => r.cluster('NODES'))) ?? '').split('\n');
      const masterId = nodes.find((l) => l.includes(`:${masterPort}@`))?.split(' ')[0];
      const replicaPort = Number(/:(\d+)@/.exec(nodes.find((l) => / (slave|replica) /.test(l) && l.split(' ')[3] === masterId) ?? '')?.[1]);
      if (!replicaPort) throw new Error(`no replica of ${masterPort}`);
      procs.get(replicaPort)!.kill('SIGSTOP');
      frozen.push(replicaPort);
      // More than the kernel buffers on both ends of the link hold (a few MB each).
      await ask(masterPort, (r) => r.set(fillerKey, Buffer.alloc(48 * 1024 * 1024, 120)));
    },
    async waitForPromotion(killedPort, timeoutMs = 60_000) {
      await until(
        async () => {
          for (const port of live()) {
            if (!/cluster_state:ok/.test(String(await ask(port, (r) => r.cluster('INFO'))))) return false;
          }
          const slots = await ask(live()[0]!, (r) => r.cluster('SLOTS'));
          return slots !== undefined && slots.every(([, , owner]) => owner !== undefined && owner[1] !== killedPort);
        },
        'a replica to be promoted',
        timeoutMs,
      );
    },
    stop,
  };
}

/** Replicas the cluster reports as connected (master_link_status:up) to their masters. */
async function replicasInSync(port: number): Promise<number> {
  const nodes = String((await ask(port, (r) => r.cluster('NODES'))) ?? '');
  const replicaPorts = nodes
    .split('\n')
    .filter((l) => / (slave|replica) /.test(l))
    .map((l) => Number(/:(\d+)@/.exec(l)?.[1]));
  let up = 0;
  for (const p of replicaPorts) if (/master_link_status:up/.test(String(await ask(p, (r) => r.info('replication'))))) up++;
  return up;
}
