import pino from 'pino';
import { redisUrlFrom } from '../../src/config/redis-url';
import { createDurableWrites } from '../../src/durable-writes';
import { createRedis, waitForRedis, type Redis } from '../../src/redis';
import { createReplicaConfirm } from '../../src/redis-replicas';
import { waitUntil } from '../helpers/kilat';
import { ask } from '../helpers/redis-probe';
import { startTestCluster, type TestCluster } from '../helpers/redis-cluster';
import { SENTINEL_MASTER_NAME, startTestSentinels, type TestSentinels } from '../helpers/redis-sentinel';

/**
 * Asynchronous replication, the property behind src/redis-replicas.ts: a master acknowledges a
 * write, dies before its replica has it, and the replica promoted in its place never heard of it.
 * The replica here stays connected but falls behind (frozen, its link's buffers full), the way a
 * busy machine makes it; the worker's Sentinel-aware client follows the promotion.
 */
describe('a write of what already happened and a master that dies before its replica has it (Sentinel)', () => {
  let s: TestSentinels | undefined;
  let client: Redis | undefined;
  beforeEach(async () => {
    s = await startTestSentinels();
    client = createRedis(redisUrlFrom(undefined, undefined, { nodes: s.sentinels, name: SENTINEL_MASTER_NAME })!, 'worker', { failoverWaitMs: 15_000 });
    client.on('error', () => undefined);
    await waitForRedis(client);
  });
  afterEach(async () => {
    client?.disconnect();
    await s?.stop();
    client = s = undefined;
  });
  const logger = pino({ level: 'silent' });
  const KEY = '{a7}:sent';

  test('acknowledged by the master alone, the write is gone after the failover (what Redis does)', async () => {
    const durable = createDurableWrites({ logger });
    await s!.lagReplica();
    await expect(durable.run('sent ledger', { alertId: '7' }, () => client!.setbit(KEY, 5, 1))).resolves.toBe(0);
    expect(await ask(s!.masterPort, (r) => r.getbit(KEY, 5))).toBe(1);
    await s!.killMaster();
    await s!.waitForPromotion();
    expect(await client!.getbit(KEY, 5)).toBe(0);
  });

  test('confirmed on the replica, the write is not done until it is, and is there after the failover', async () => {
    const durable = createDurableWrites({ logger, replicas: createReplicaConfirm({ redis: client!, maxWaitMs: 60_000 }) });
    await s!.lagReplica();
    let done = false;
    const write = durable.run('sent ledger', { alertId: '7' }, () => client!.setbit(KEY, 5, 1), { confirmOn: KEY }).then((v) => {
      done = true;
      return v;
    });
    // The master has it, and has answered; the write still waits for the replica.
    await waitUntil(async () => (await ask(s!.masterPort, (r) => r.getbit(KEY, 5))) === 1, 10_000, 'the master to take the write');
    expect(done).toBe(false);
    expect(durable.waiting).toBe(1);
    await s!.killMaster();
    await s!.waitForPromotion();
    await write;
    // Written again on the promoted replica, where the first copy never arrived.
    expect(await ask(s!.replicaPort, (r) => r.getbit(KEY, 5))).toBe(1);
    expect(await client!.getbit(KEY, 5)).toBe(1);
  });
});

describe('a confirmed write and a Cluster master that dies before its replica has it (3 masters + 3 replicas)', () => {
  let cluster: TestCluster | undefined;
  let client: Redis | undefined;
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  test('the write waits for the replica of the master that holds the key, and is there after the failover', async () => {
    cluster = await startTestCluster({ replicas: 1 });
    client = createRedis(cluster.url, 'worker', { failoverWaitMs: 15_000 });
    client.on('error', () => undefined);
    await waitForRedis(client);
    const key = '{a7}:sent';
    const master = await cluster.masterOf(key);
    const durable = createDurableWrites({ logger: pino({ level: 'silent' }), replicas: createReplicaConfirm({ redis: client, maxWaitMs: 60_000 }) });
    await cluster.lagReplicaOf(master, '{a7}:filler');
    let done = false;
    const write = durable.run('sent ledger', { alertId: '7' }, () => client!.setbit(key, 5, 1), { confirmOn: key }).then(() => {
      done = true;
    });
    await waitUntil(async () => (await ask(master, (r) => r.getbit(key, 5))) === 1, 10_000, 'the master to take the write');
    expect(done).toBe(false);
    await cluster.kill(master);
    await cluster.waitForPromotion(master);
    await write;
    const promoted = await cluster.masterOf(key);
    expect(promoted).not.toBe(master);
    expect(await ask(promoted, (r) => r.getbit(key, 5))).toBe(1);
  });
});
