import { bearer, postJson, startKilat, waitUntil, type Kilat } from '../helpers/kilat';
import { waitForDrained } from '../helpers/queue-waits';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { envFor, SOURCE_WORKER, spawnBuilt, stopChild, TS_REGISTER, type ChildService } from '../helpers/worker-process';

/**
 * Three separate worker processes (what WORKER_PROCESSES=3 runs under `npm start`, or
 * `--scale worker=3` under compose) share one alert: every subscriber gets it exactly once, and the
 * batches really are spread over the processes.
 */
const RECIPIENTS = 1500;

describe('three worker processes sharing one alert', () => {
  let k: Kilat;
  let emails: string[];
  const workers: ChildService[] = [];
  beforeAll(async () => {
    k = await startKilat({ workers: false, env: { BATCH_SIZE: '50' } });
    emails = await seedConfirmed(k.api.core.subscribers, RECIPIENTS, { domain: 'tiga.example' });
    for (let i = 0; i < 3; i++) workers.push(spawnBuilt(SOURCE_WORKER, envFor(k.config), [], TS_REGISTER));
    await Promise.all(workers.map((w) => w.waitForLine(/"worker started"/, 30_000)));
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => stopChild(w)));
    await k.stop();
  });

  test('no recipient twice, none missed, and every process sends a share', async () => {
    const title = 'Berita untuk tiga proses';
    const res = await postJson(`${k.baseUrl}/api/articles`, { title, body: `${title}.\n\nIsi berita.` }, bearer);
    expect(res.status).toBe(202);
    const alertId = res.body.alertId as string;
    const delivered = () => k.smtp.messages.filter((m) => m.parsed.subject === title).flatMap((m) => m.to);
    await waitUntil(async () => delivered().length >= RECIPIENTS, 45_000, `${RECIPIENTS} messages`);
    const status = await waitUntil(async () => {
      const s = (await (await fetch(`${k.baseUrl}/api/alerts/${alertId}`, { headers: bearer })).json()) as any;
      return s.state === 'completed' ? s : undefined;
    }, 15_000, 'alert completed');
    // Nothing left in any queue: a duplicate from any process would be at the SMTP server now.
    await waitForDrained(k, 30_000);
    const got = delivered();
    expect(got).toHaveLength(RECIPIENTS);
    expect(new Set(got).size).toBe(RECIPIENTS);
    expect([...got].sort()).toEqual([...emails].sort());
    expect(status).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS, failed: 0, skipped: 0 });

    // Each batch ran once, in one of the processes, and they add up to the audience.
    const done = workers.map((w) =>
      w.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string; alertId?: string; batch?: string; sent?: number }).filter((l) => l.msg === 'batch done' && l.alertId === alertId),
    );
    const batches = done.flat().map((l) => l.batch);
    expect(new Set(batches).size).toBe(batches.length);
    expect(done.flat().reduce((n, l) => n + (l.sent ?? 0), 0)).toBe(RECIPIENTS);
    expect(done.filter((d) => d.length > 0).length).toBeGreaterThanOrEqual(2);
  });
});
