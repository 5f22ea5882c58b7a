import { bearer, postJson, startKilat, waitUntil, type Kilat } from '../helpers/kilat';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { BUILT_WORKER, envFor, spawnBuilt, stopChild, type ChildService } from '../helpers/worker-process';

/**
 * The built worker (`node dist/workers/index.js`) is killed with SIGKILL at random points while an
 * alert to 2,000 recipients is sending, then restarted. Everyone must get the alert; a duplicate is
 * only possible for a message the SMTP server accepted in the instant before the ledger recorded
 * it, so duplicates are bounded by the messages in flight (WORKER_CONCURRENCY x SEND_CONCURRENCY);
 * and the restarted worker must finish the alert (a dead worker's jobs come back by stall recovery,
 * about 10 s on a quiet machine: the time is printed, not asserted, since it stretches with the load on
 * the machine; what must not happen is an alert that never completes).
 */
const RECIPIENTS = 2000;
const WORKER_CONCURRENCY = 4;
const SEND_CONCURRENCY = 32;
const IN_FLIGHT_BOUND = WORKER_CONCURRENCY * SEND_CONCURRENCY;

describe('worker process killed mid-alert, then restarted', () => {
  let k: Kilat;
  let emails: string[];
  const children: ChildService[] = [];
  beforeAll(async () => {
    k = await startKilat({ workers: false, env: { WORKER_CONCURRENCY: String(WORKER_CONCURRENCY), SEND_CONCURRENCY: String(SEND_CONCURRENCY), BATCH_SIZE: '250' } });
    emails = await seedConfirmed(k.api.core.subscribers, RECIPIENTS, { domain: 'crash.example' });
  });
  afterAll(async () => {
    for (const c of children) await stopChild(c);
    await k.stop();
  });

  const worker = () => {
    const c = spawnBuilt(BUILT_WORKER, envFor(k.config, process.env.KILAT_DEBUG_LOGS ? { LOG_LEVEL: 'debug' } : {}));
    children.push(c);
    return c;
  };
  const delivered = (title: string) => k.smtp.messages.filter((m) => m.parsed.subject === title).flatMap((m) => m.to);
  const status = async (id: string) => (await fetch(`${k.baseUrl}/api/alerts/${id}`, { headers: bearer })).json() as Promise<any>;
  async function publish(title: string): Promise<string> {
    const res = await postJson(`${k.baseUrl}/api/articles`, { title, body: `${title}.\n\nIsi berita.` }, bearer);
    expect(res.status).toBe(202);
    return res.body.alertId;
  }

  // Kill points: right at the first message, somewhere in the middle, near the end (random within).
  const killPoints: [string, () => number][] = [
    ['at the first message', () => 1],
    ['mid-alert', () => Math.floor(RECIPIENTS * (0.3 + Math.random() * 0.3))],
    ['near the end', () => Math.floor(RECIPIENTS * (0.75 + Math.random() * 0.2))],
  ];
  const report: string[] = [];

  test.each(killPoints)('SIGKILL %s: everyone gets it, duplicates within the in-flight bound, the restarted worker completes the alert', async (label, point) => {
    const title = `Kilat crash test ${label}`;
    const killAt = point();
    const first = worker();
    await first.waitForLine(/worker started/);
    const id = await publish(title);
    await waitUntil(async () => delivered(title).length >= killAt, 60_000, `${killAt} messages`);
    first.kill('SIGKILL');
    await first.exited;
    const atKill = delivered(title).length;

    const restartedAt = Date.now();
    const second = worker();
    await waitUntil(async () => (await status(id)).state === 'completed', 120_000, 'alert completed after restart');
    const recoverySeconds = (Date.now() - restartedAt) / 1000;
    await stopChild(second);
    // The workers are gone and the SMTP server has stored what it received: nothing is on the wire.
    await k.smtp.quiet();

    const got = delivered(title);
    const unique = new Set(got);
    const duplicates = got.length - unique.size;
    report.push(`${label}: killed at ${atKill}/${RECIPIENTS}, completed ${recoverySeconds.toFixed(1)} s after restart, duplicates ${duplicates}`);
    expect(unique.size).toBe(RECIPIENTS);
    expect([...unique].sort()).toEqual([...emails].sort());
    expect(duplicates).toBeLessThanOrEqual(IN_FLIGHT_BOUND);
    expect(await status(id)).toMatchObject({ state: 'completed', total: RECIPIENTS, sent: RECIPIENTS, failed: 0 });
  });

  test('SIGTERM while sending: in-flight messages finish, the process exits in bounded time, a restart completes with no duplicate', async () => {
    const title = 'Kilat graceful shutdown test';
    const first = worker();
    await first.waitForLine(/worker started/);
    const id = await publish(title);
    await waitUntil(async () => delivered(title).length >= RECIPIENTS * 0.3, 60_000, '30% delivered');
    const termAt = Date.now();
    first.kill('SIGTERM');
    const exit = await first.exited;
    const exitSeconds = (Date.now() - termAt) / 1000;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitSeconds).toBeLessThan(15);
    expect(first.lines.some((l) => l.includes('shutting down'))).toBe(true);
    // whatever the ledger says went out, did go out (nothing half-sent, nothing recorded and lost)
    await k.smtp.quiet();
    const atExit = delivered(title).length;
    if (process.env.KILAT_DEBUG_LOGS) require('node:fs').writeFileSync(process.env.KILAT_DEBUG_LOGS, first.lines.join('\n'));
    expect((await status(id)).sent).toBe(atExit);

    const second = worker();
    await waitUntil(async () => (await status(id)).state === 'completed', 120_000, 'alert completed after restart');
    await stopChild(second);
    const got = delivered(title);
    report.push(`SIGTERM: exited ${exitSeconds.toFixed(1)} s after the signal with ${atExit}/${RECIPIENTS} sent; duplicates ${got.length - new Set(got).size}`);
    expect(new Set(got).size).toBe(RECIPIENTS);
    expect(got.length).toBe(RECIPIENTS);
  });

  afterAll(() => {
    process.stdout.write(`\nworker crash runs:\n  ${report.join('\n  ')}\n`);
  });
});
