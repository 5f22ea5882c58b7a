import { Redis } from 'ioredis';
import { createQueues, type ConfirmationJob, type Queues } from '../../src/queues';
import { createBulkEnqueue } from '../../src/subscribers/bulk-enqueue';
import { startTestRedis, type TestRedis } from '../helpers/redis-server';

describe('confirmation jobs added in bulk', () => {
  let redis: TestRedis;
  let connection: Redis;
  let queues: Queues;
  beforeAll(async () => {
    redis = await startTestRedis();
    connection = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    queues = createQueues(connection, 'kilat-test');
  });
  afterAll(async () => {
    await queues.close();
    connection.disconnect();
    await redis.stop();
  });

  test('a burst of sign-ups shares round trips, and every caller resolves only once its own job is in the queue, with the queue’s job options', async () => {
    let calls = 0;
    const counted = {
      addBulk: (jobs: { name: string; data: ConfirmationJob }[]) => {
        calls++;
        return queues.confirmations.addBulk(jobs);
      },
    };
    const enqueue = createBulkEnqueue<ConfirmationJob>(counted, 'confirm');
    const ids = Array.from({ length: 300 }, (_, i) => 1000 + i);
    const seen: number[] = [];
    await Promise.all(
      ids.map((subscriberId) =>
        enqueue({ subscriberId }).then(async () => {
          // Resolved: this job is already stored (checked for one caller in 20, each a full read).
          if (subscriberId % 20 !== 0) return seen.push(subscriberId);
          const jobs = await queues.confirmations.getJobs(['waiting'], 0, -1);
          if (jobs.some((j) => j.data.subscriberId === subscriberId)) seen.push(subscriberId);
        }),
      ),
    );
    expect(seen.sort()).toEqual(ids);
    const jobs = await queues.confirmations.getJobs(['waiting'], 0, -1);
    expect(jobs.map((j) => j.data.subscriberId).sort()).toEqual(ids);
    expect(jobs.every((j) => j.name === 'confirm' && j.opts.attempts === 8)).toBe(true);
    // 300 arrived in one turn: groups of at most 200, so two round trips instead of 300.
    expect(calls).toBe(2);

    // Idle, one sign-up is one add, right away.
    await enqueue({ subscriberId: 5 });
    expect(calls).toBe(3);
  });

  test('when Redis refuses, every caller of that group gets the error and a later job still goes in', async () => {
    let fail = true;
    const flaky = {
      addBulk: (jobs: { name: string; data: ConfirmationJob }[]) => (fail ? Promise.reject(new Error('Connection is closed.')) : queues.confirmations.addBulk(jobs)),
    };
    const enqueue = createBulkEnqueue<ConfirmationJob>(flaky, 'confirm');
    const results = await Promise.allSettled([enqueue({ subscriberId: 1 }), enqueue({ subscriberId: 2 })]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await enqueue({ subscriberId: 3 });
    const jobs = await queues.confirmations.getJobs(['waiting'], 0, -1);
    expect(jobs.some((j) => j.data.subscriberId === 3)).toBe(true);
    expect(jobs.some((j) => j.data.subscriberId === 1)).toBe(false);
  });
});
