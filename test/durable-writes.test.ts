import pino from 'pino';
import { createDurableWrites, NotRecordedError } from '../src/durable-writes';
import { createRedis, waitForRedis, type Redis } from '../src/redis';
import { startTestRedis, type TestRedis } from './helpers/redis-server';
import { waitUntil } from './helpers/kilat';

/** A pino logger whose lines the test reads back. */
function capturedLogger() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  return { logger, lines };
}

describe('writes of what already happened (src/durable-writes.ts)', () => {
  let redis: TestRedis;
  let client: Redis;
  beforeEach(async () => {
    redis = await startTestRedis();
    // The API's fail-fast client: while Redis is down every command fails at once, the worst case for spinning.
    client = createRedis(redis.url, 'api');
    client.on('error', () => undefined);
    await waitForRedis(client);
  });
  afterEach(async () => {
    client.disconnect();
    await redis.stop();
  });

  test('a write made while Redis is down lands once Redis is back, retried with backoff rather than in a loop', async () => {
    const { logger } = capturedLogger();
    const durable = createDurableWrites({ logger });
    await redis.crash();
    let tries = 0;
    const started = Date.now();
    const write = durable.run('sent ledger', { alertId: '7', subscriberIds: [3, 5] }, async () => {
      tries++;
      return client.setbit('ledger:7', 5, 1);
    });
    await waitUntil(async () => Date.now() - started >= 1500, 5000, '1.5 s of outage');
    // 100, 200, 400, 800 ms between tries: a handful, not thousands
    expect(tries).toBeGreaterThanOrEqual(2);
    expect(tries).toBeLessThanOrEqual(6);
    expect(durable.waiting).toBe(1);
    await redis.restart();
    await expect(write).resolves.toBe(0);
    expect(await client.getbit('ledger:7', 5)).toBe(1);
    expect(durable.waiting).toBe(0);
  });

  test('on shutdown a write that never got through is logged with its ids and rejects', async () => {
    const { logger, lines } = capturedLogger();
    const durable = createDurableWrites({ logger });
    await redis.crash();
    const write = durable.run('sent ledger', { alertId: '9', outcome: 'sent', subscriberIds: [11, 12, 13] }, () => client.setbit('ledger:9', 11, 1));
    const rejected = expect(write).rejects.toBeInstanceOf(NotRecordedError);
    await durable.close(300);
    await rejected;
    const errors = lines.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: 'not recorded in Redis before shutdown: sent ledger', alertId: '9', outcome: 'sent', subscriberIds: [11, 12, 13] });
  });

  test('an error that is not about Redis being away fails at once, untried again', async () => {
    const { logger } = capturedLogger();
    const durable = createDurableWrites({ logger });
    await client.lpush('a-list', 'x');
    let tries = 0;
    await expect(
      durable.run('sent ledger', { alertId: '1' }, async () => {
        tries++;
        return client.setbit('a-list', 1, 1);
      }),
    ).rejects.toThrow(/WRONGTYPE/);
    expect(tries).toBe(1);
  });
});
