import pino from 'pino';
import { startWorkers, type RunningWorkers } from '../../workers';
import { bearer, postJson, startKilat, waitUntil, type Kilat } from '../helpers/kilat';
import { seedConfirmed } from '../helpers/seed-subscribers';

/**
 * SEND_RATE_PER_SEC holds for all workers together: two worker instances with their own pools and
 * plenty of concurrency still deliver no faster than the limit (plus its small burst), counted at
 * the receiving SMTP server.
 */
const RATE = 40;
const RECIPIENTS = 120;

describe('global send rate limit', () => {
  let k: Kilat;
  let second: RunningWorkers;
  const acceptedAt: number[] = [];
  beforeAll(async () => {
    // One message in flight per worker: what the receiver counts is then what the limiter granted,
    // give or take one message per worker, however loaded the machine is.
    k = await startKilat({ env: { SEND_RATE_PER_SEC: String(RATE), BATCH_SIZE: '20', WORKER_CONCURRENCY: '1', SEND_CONCURRENCY: '1' } });
    second = await startWorkers(k.config, pino({ level: 'silent' }));
    await seedConfirmed(k.api.core.subscribers, RECIPIENTS, { domain: 'laju.example' });
  });
  afterAll(async () => {
    await second.close();
    await k.stop();
  });

  // Counted at the receiver over two-second windows: each worker may hold a few tokens it fetched
  // ahead (two at this rate) and one message in flight. Without the limit the same setup delivers
  // hundreds a second.
  test('no two-second window holds more than twice the rate plus its burst, across both workers', async () => {
    k.smtp.beforeAccept = () => {
      acceptedAt.push(Date.now());
    };
    const res = await postJson(`${k.baseUrl}/api/articles`, { title: 'Berita terbatas', body: 'Berita terbatas.\n\nIsi.' }, bearer);
    expect(res.status).toBe(202);
    await waitUntil(async () => acceptedAt.length >= RECIPIENTS, 30_000, `${RECIPIENTS} messages`);
    acceptedAt.sort((a, b) => a - b);
    let busiest = 0;
    for (let i = 0, j = 0; i < acceptedAt.length; i++) {
      while (acceptedAt[i]! - acceptedAt[j]! >= 2000) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    const burst = Math.ceil(RATE / 10);
    expect(busiest).toBeLessThanOrEqual(2 * RATE + burst + 2 * 2 + 2 * 1);
    // and the limit is a limit, not a stall: it sends at about the rate
    expect(busiest).toBeGreaterThanOrEqual(RATE / 2);
    expect(acceptedAt[acceptedAt.length - 1]! - acceptedAt[0]!).toBeGreaterThanOrEqual(((RECIPIENTS - RATE - burst) / RATE) * 1000);
  });
});
