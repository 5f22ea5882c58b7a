import { startKilat, type Kilat } from '../helpers/kilat';
import { alertThroughFailover, expectFailoverWithoutResends } from '../helpers/failover-run';
import { startTestCluster, type TestCluster } from '../helpers/redis-cluster';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { BUILT_WORKER, envFor, spawnBuilt, stopChild, type ChildService } from '../helpers/worker-process';

/**
 * Redis Cluster as production runs it (three masters, three replicas, cluster-node-timeout 2000, AOF
 * on), a master SIGKILLed in the middle of an alert: its replica is promoted within seconds, and the
 * built worker process rides through it without re-sending what the relay had already accepted.
 */
const RECIPIENTS = 3000;

describe('Redis Cluster failover mid-alert (3 masters + 3 replicas, AOF)', () => {
  let cluster: TestCluster | undefined;
  let k: Kilat | undefined;
  let worker: ChildService | undefined;
  afterEach(async () => {
    await stopChild(worker);
    await k?.stop();
    await cluster?.stop();
    worker = k = cluster = undefined;
  });

  const setUp = async (): Promise<{ k: Kilat; cluster: TestCluster; worker: ChildService; emails: string[] }> => {
    cluster = await startTestCluster({ replicas: 1, appendonly: true });
    k = await startKilat({ workers: false, env: { REDIS_URL: cluster.url, BATCH_SIZE: '250' } });
    const emails = await seedConfirmed(k.api.core.subscribers, RECIPIENTS, { domain: 'failover.example' });
    worker = spawnBuilt(BUILT_WORKER, envFor(k.config));
    await worker.waitForLine(/worker started/, 60_000);
    return { k, cluster, worker, emails };
  };

  // In separate runs: the master holding the alert's keys (ledger, state), then the one holding every queue ({q}).
  test.each([
    ['the alert', 'alert master', (k: Kilat, alertId: string) => k.api.core.keys.alert(alertId)],
    ['the queues', 'queue master', (k: Kilat) => `${k.api.core.keys.queuePrefix}:alert-send:meta`],
  ] as const)('killing the master that holds %s: everyone gets the alert once (bar the messages in flight), /readyz 503 then 200', async (_what, role, keyOf) => {
    const s = await setUp();
    const run = await alertThroughFailover({
      k: s.k,
      worker: s.worker,
      recipients: s.emails,
      title: `Kilat cluster failover: ${role}`,
      label: `cluster, ${role} killed`,
      kill: async (alertId) => {
        const port = await s.cluster.masterOf(keyOf(s.k, alertId));
        await s.cluster.kill(port);
        await s.cluster.waitForPromotion(port);
      },
    });
    expectFailoverWithoutResends(run);
  });
});
