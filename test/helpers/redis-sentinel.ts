import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/dev/embedded-redis';
import { ask, killNow, until } from './redis-probe';

export const SENTINEL_MASTER_NAME = 'kilat-test';

export interface TestSentinels {
  /** REDIS_SENTINELS: the three sentinels as host:port,… */
  sentinels: string;
  masterPort: number;
  replicaPort: number;
  /** SIGKILLs the master (a crash: no shutdown, nothing handed over), and thaws a replica frozen by lagReplica. */
  killMaster(): Promise<void>;
  /**
   * Makes the replica fall behind while it stays connected, as a busy or distant one does: frozen
   * (SIGSTOP), with the replication link's socket buffers filled by a large value, so whatever the
   * master acknowledges from now on stays in its own output buffer, and dies with it.
   */
  lagReplica(): Promise<void>;
  /** Resolves once every sentinel names the replica as the master. */
  waitForPromotion(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A standalone Redis (AOF on) with one replica and three Debian `redis-sentinel`s watching it
 * (quorum 2, down-after 2000 ms), on free ports in a temp dir: the smallest set-up in which a
 * killed master is replaced by its replica without anyone's help.
 */
export async function startTestSentinels(): Promise<TestSentinels> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-sentinel-'));
  const procs: ChildProcess[] = [];
  const kill = killNow;
  const stop = async () => {
    await Promise.all(procs.map(kill));
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const redisServer = (port: number, extra: string[]) =>
    spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes',
      '--appendfilename', `appendonly-${port}.aof`, '--appenddirname', `aof-${port}`, ...extra], { stdio: 'ignore' });
  try {
    const masterPort = await freePort();
    const replicaPort = await freePort();
    const master = redisServer(masterPort, []);
    procs.push(master);
    await until(async () => (await ask(masterPort, (r) => r.ping())) === 'PONG', 'the master to start');
    const replica = redisServer(replicaPort, ['--replicaof', '127.0.0.1', String(masterPort)]);
    procs.push(replica);
    await until(async () => /master_link_status:up/.test(String(await ask(replicaPort, (r) => r.info('replication')))), 'the replica to sync');
    const sentinelPorts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      sentinelPorts.push(port);
      const conf = path.join(dir, `sentinel-${port}.conf`);
      // Sentinel rewrites its config file as it learns the set-up: each needs its own, writable.
      fs.writeFileSync(
        conf,
        [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 2000`, `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 10000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`, ''].join('\n'),
      );
      procs.push(spawn('redis-sentinel', [conf], { stdio: 'ignore' }));
    }
    // Each sentinel must know the replica (to promote it) and the two other sentinels (to reach quorum).
    for (const port of sentinelPorts) {
      await until(async () => ((await ask(port, (r) => r.call('SENTINEL', 'REPLICAS', SENTINEL_MASTER_NAME) as Promise<unknown[]>)) ?? []).length === 1, 'a sentinel to see the replica', 30_000);
      await until(async () => ((await ask(port, (r) => r.call('SENTINEL', 'SENTINELS', SENTINEL_MASTER_NAME) as Promise<unknown[]>)) ?? []).length === 2, 'a sentinel to see the others', 30_000);
    }
    const masterOf = (port: number) => ask(port, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME) as Promise<[string, string]>);
    return {
      sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
      masterPort,
      replicaPort,
      async killMaster() {
        await kill(master);
        replica.kill('SIGCONT');
      },
      async lagReplica() {
        replica.kill('SIGSTOP');
        // More than the kernel buffers on both ends of the link hold (a few MB each).
        await ask(masterPort, (r) => r.set('kilat-test:filler', Buffer.alloc(48 * 1024 * 1024, 120)));
      },
      async waitForPromotion(timeoutMs = 60_000) {
        await until(
          async () => {
            for (const port of sentinelPorts) if (Number((await masterOf(port))?.[1]) !== replicaPort) return false;
            return /role:master/.test(String(await ask(replicaPort, (r) => r.info('replication'))));
          },
          'the replica to be promoted',
          timeoutMs,
        );
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
