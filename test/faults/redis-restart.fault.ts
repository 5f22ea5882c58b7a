import { bearer, postJson, startKilat, waitUntil, type Kilat } from '../helpers/kilat';
import { formSession, postForm } from '../helpers/forms';
import { waitForDrained } from '../helpers/queue-waits';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { BUILT_WORKER, envFor, spawnBuilt, stopChild, type ChildService } from '../helpers/worker-process';

/**
 * Redis (AOF, fsync on every write) is killed mid-alert and restarted on the same port and data dir.
 * While it is down the API answers 503 with Retry-After; afterwards the same API process and the
 * same worker process carry on without a restart, and the alert reaches everyone.
 */
const RECIPIENTS = 2000;
const IN_FLIGHT_BOUND = 4 * 32;

describe('Redis restarted mid-alert (AOF on)', () => {
  let k: Kilat;
  let worker: ChildService | undefined;
  let emails: string[];
  beforeAll(async () => {
    k = await startKilat({ workers: false, redisArgs: ['--appendonly', 'yes', '--appendfsync', 'always'], env: { BATCH_SIZE: '250' } });
    emails = await seedConfirmed(k.api.core.subscribers, RECIPIENTS, { domain: 'redis.example' });
  });
  afterAll(async () => {
    await stopChild(worker);
    await k.stop();
  });

  const delivered = (title: string) => k.smtp.messages.filter((m) => m.parsed.subject === title).flatMap((m) => m.to);

  test('503 while down, recovery without restarting anything, everyone gets the alert', async () => {
    const title = 'Kilat Redis restart test';
    worker = spawnBuilt(BUILT_WORKER, envFor(k.config));
    await worker.waitForLine(/worker started/);
    const published = await postJson(`${k.baseUrl}/api/articles`, { title, body: 'Isi berita.' }, bearer);
    expect(published.status).toBe(202);
    const alertId = published.body.alertId;
    await waitUntil(async () => delivered(title).length >= RECIPIENTS * 0.2, 60_000, '20% delivered');

    const session = await formSession(`${k.baseUrl}/`);
    await k.redis.crash();
    const downAt = Date.now();
    // the API notices at once: no hanging requests, a clear 503 with Retry-After
    const signup = await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'saat-mati@contoh.co.id' });
    expect(signup.status).toBe(503);
    expect(signup.body.error.code).toBe('service_unavailable');
    expect(signup.headers.get('retry-after')).toMatch(/^\d+$/);
    const publish = await postJson(`${k.baseUrl}/api/articles`, { title: 'Lain', body: 'x' }, bearer);
    expect(publish.status).toBe(503);
    const status = await fetch(`${k.baseUrl}/api/alerts/${alertId}`, { headers: bearer });
    expect(status.status).toBe(503);
    expect((await fetch(`${k.baseUrl}/readyz`)).status).toBe(503);
    const form = await postForm(`${k.baseUrl}/subscribe`, { email: 'a@contoh.co.id' }, { session, headers: { accept: 'text/html' } });
    expect(form.status).toBe(503);
    expect(await form.text()).toMatch(/<h1>/);
    expect(Date.now() - downAt).toBeLessThan(5000);
    // The outage itself lasts 3 s (the fault, not a wait for a condition).
    await new Promise((r) => setTimeout(r, 3000 - (Date.now() - downAt)));
    const duringOutage = delivered(title).length;

    await k.redis.restart();
    // the same API process recovers by itself
    await waitUntil(async () => (await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'setelah@contoh.co.id' })).status === 202, 15_000, 'API accepts sign-ups again');
    expect((await fetch(`${k.baseUrl}/readyz`)).status).toBe(200);
    // the same worker process finishes the alert
    await waitUntil(
      async () => ((await (await fetch(`${k.baseUrl}/api/alerts/${alertId}`, { headers: bearer })).json()) as any).state === 'completed',
      60_000,
      'alert completed',
    );
    expect(worker.process.exitCode).toBeNull();
    // No batch is left to run: a duplicate would be at the SMTP server by now.
    await waitForDrained(k, 60_000);
    const got = delivered(title);
    const unique = new Set(got);
    process.stdout.write(`\nredis restart: ${duringOutage}/${RECIPIENTS} delivered when Redis came back; duplicates ${got.length - unique.size}\n`);
    expect([...unique].sort()).toEqual([...emails].sort());
    expect(got.length - unique.size).toBeLessThanOrEqual(IN_FLIGHT_BOUND);
    const final = (await (await fetch(`${k.baseUrl}/api/alerts/${alertId}`, { headers: bearer })).json()) as any;
    expect(final).toMatchObject({ state: 'completed', total: RECIPIENTS, sent: RECIPIENTS, failed: 0 });
    // nothing acknowledged before the crash was lost: the subscribers are all still there
    expect(await k.api.core.subscribers.findByEmail(emails[0]!)).toMatchObject({ status: 'confirmed' });
    expect(await k.api.core.subscribers.findByEmail(emails[RECIPIENTS - 1]!)).toMatchObject({ status: 'confirmed' });
  });
});
