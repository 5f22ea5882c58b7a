import { startKilat, type Kilat } from '../helpers/kilat';
import { alertThroughFailover, expectFailoverWithoutResends } from '../helpers/failover-run';
import { SENTINEL_MASTER_NAME, startTestSentinels, type TestSentinels } from '../helpers/redis-sentinel';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { BUILT_WORKER, envFor, spawnBuilt, stopChild, type ChildService } from '../helpers/worker-process';

/**
 * Redis behind Sentinel (Debian's redis-sentinel: one master with AOF, one replica, three sentinels),
 * the master SIGKILLed in the middle of an alert: the sentinels promote the replica, and Kilat, given
 * only REDIS_SENTINELS and REDIS_SENTINEL_NAME, follows it without re-sending.
 */
const RECIPIENTS = 3000;

describe('Redis Sentinel failover mid-alert (master + replica, three sentinels)', () => {
  let sentinels: TestSentinels | undefined;
  let k: Kilat | undefined;
  let worker: ChildService | undefined;
  afterAll(async () => {
    await stopChild(worker);
    await k?.stop();
    await sentinels?.stop();
  });

  test('killing the master: everyone gets the alert once (bar the messages in flight), /readyz 503 then 200', async () => {
    sentinels = await startTestSentinels();
    const s = sentinels;
    // REDIS_URL stays the private standalone one startKilat made; the sentinels take precedence.
    k = await startKilat({ workers: false, env: { REDIS_SENTINELS: s.sentinels, REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME, BATCH_SIZE: '250' } });
    expect(k.config.redisUrl).toContain(`sentinel=${SENTINEL_MASTER_NAME}`);
    expect(await k.api.core.redis.info('server')).toMatch(new RegExp(`tcp_port:${s.masterPort}`));
    const emails = await seedConfirmed(k.api.core.subscribers, RECIPIENTS, { domain: 'sentinel.example' });
    worker = spawnBuilt(BUILT_WORKER, envFor(k.config));
    await worker.waitForLine(/worker started/, 60_000);
    const run = await alertThroughFailover({
      k,
      worker,
      recipients: emails,
      title: 'Kilat sentinel failover',
      label: 'sentinel, master killed',
      kill: async () => {
        await s.killMaster();
        await s.waitForPromotion();
      },
    });
    expectFailoverWithoutResends(run);
    // the service now runs on the promoted replica
    expect(await k.api.core.redis.info('server')).toMatch(new RegExp(`tcp_port:${s.replicaPort}`));
  });
});
