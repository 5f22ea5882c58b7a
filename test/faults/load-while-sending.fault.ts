import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/dev/embedded-redis';
import { bearer, postJson, startKilat, waitUntil, type Kilat } from '../helpers/kilat';
import { startSmtpCounter, type SmtpCounter } from '../helpers/smtp-counter';
import { BUILT_MAIN, BUILT_WORKER, envFor, spawnBuilt, stopChild, type ChildService } from '../helpers/worker-process';

/**
 * While an alert to LOAD_RECIPIENTS (default 100,000) confirmed subscribers is sending through two
 * built worker processes, a second process fires LOAD_SIGNUPS sign-ups at the built API with
 * autocannon. Nothing may be lost: every request is answered 202, the store holds exactly the
 * accepted addresses, and each of them gets its confirmation email, while the alert completes.
 */
const RECIPIENTS = Number(process.env.LOAD_RECIPIENTS ?? 100_000);
const SIGNUPS = Number(process.env.LOAD_SIGNUPS ?? 3000);
const CONNECTIONS = 20;

describe(`sign-ups under load while an alert to ${RECIPIENTS.toLocaleString('en')} is sending`, () => {
  let k: Kilat;
  let sink: SmtpCounter;
  const children: ChildService[] = [];
  beforeAll(async () => {
    k = await startKilat({ workers: false });
    sink = await startSmtpCounter();
  });
  afterAll(async () => {
    for (const c of children) await stopChild(c);
    await sink.stop();
    await k.stop();
  });

  test('every accepted sign-up is stored and confirmed; the alert reaches everyone', async () => {
    const seedStart = Date.now();
    const CHUNK = 5000;
    for (let from = 0; from < RECIPIENTS; from += CHUNK) {
      const rows = Array.from({ length: Math.min(CHUNK, RECIPIENTS - from) }, (_, i) => ({ email: `r${from + i}@seed.example`, locale: 'id' as const, topics: [] }));
      await k.api.core.subscribers.importConfirmed(rows);
    }
    const seedSeconds = (Date.now() - seedStart) / 1000;

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // Production settings, SMTP to the counting sink; the per-IP limit is off (0) for a load test.
    const env = envFor({ ...k.config, publicUrl: base, smtpUrl: sink.url, batchSize: 500, sendConcurrency: 32, workerConcurrency: 4 }, {
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SIGNUP_LIMIT_PER_IP: '0',
      CONFIRM_LIMIT_PER_ADDRESS: '0',
    });
    const api = spawnBuilt(BUILT_MAIN, env, ['--only=api']);
    children.push(api);
    for (let i = 0; i < 2; i++) children.push(spawnBuilt(BUILT_WORKER, env));
    await waitUntil(async () => (await fetch(`${base}/readyz`).then((r) => r.status, () => 0)) === 200, 20_000, 'API ready');

    const published = await postJson(`${base}/api/articles`, { title: 'Beban', body: 'Isi berita.' }, bearer);
    expect(published.status).toBe(202);
    const alertId = published.body.alertId as string;
    const status = async () => (await (await fetch(`${base}/api/alerts/${alertId}`, { headers: bearer })).json()) as any;
    const sendStart = Date.now();
    await waitUntil(async () => sink.total() >= Math.min(5000, RECIPIENTS / 10), 60_000, 'alert under way');

    // the load, from its own process
    const before = sink.total();
    const burst = await promisify(execFile)(process.execPath, [path.join(__dirname, 'signup-burst.cjs'), base, String(SIGNUPS), String(CONNECTIONS), 'load.example'], {
      timeout: 120_000,
    });
    const result = JSON.parse(burst.stdout.trim().split('\n').pop()!);
    const duringBurst = sink.total() - before;
    const stateAfterBurst = await status();

    // the store holds exactly the accepted addresses
    const accepted = Number(result.statusCodeStats?.['202']?.count ?? 0);
    let stored = 0;
    for (let n = 1; n <= result.sent; n++) if (await k.api.core.subscribers.findByEmail(`load${n}@load.example`)) stored++;
    // every accepted sign-up gets its confirmation email (confirmations have their own queue)
    const confirmations = () => [...sink.deliveries.keys()].filter((a) => a.endsWith('@load.example')).length;
    await waitUntil(async () => confirmations() >= accepted, 180_000, 'confirmation emails');
    await waitUntil(async () => (await status()).state === 'completed', 600_000, 'alert completed');
    const sendSeconds = (Date.now() - sendStart) / 1000;
    const final = await status();
    const alertDeliveries = [...sink.deliveries].filter(([a]) => a.endsWith('@seed.example'));
    const duplicates = alertDeliveries.reduce((n, [, c]) => n + c - 1, 0);

    process.stdout.write(
      `\nload: ${RECIPIENTS} seeded in ${seedSeconds.toFixed(1)} s; alert ${sendSeconds.toFixed(1)} s (${Math.round(RECIPIENTS / sendSeconds)}/s); ` +
        `${result.sent} sign-ups in ${result.seconds} s (${Math.round(result.rps)}/s avg, p99 ${result.p99} ms) over ${CONNECTIONS} connections: ` +
        `${accepted} accepted, ${result.non2xx} non-2xx, ${result.errors} errors; stored ${stored}; confirmations ${confirmations()}; ` +
        `alert messages during the burst ${duringBurst}, alert state after the burst ${stateAfterBurst.state} (${stateAfterBurst.sent} sent); alert duplicates ${duplicates}\n`,
    );
    expect(result.sent).toBe(SIGNUPS);
    expect({ accepted, non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts }).toEqual({ accepted: SIGNUPS, non2xx: 0, errors: 0, timeouts: 0 });
    expect(stored).toBe(accepted);
    expect(confirmations()).toBe(accepted);
    // it really was under load: the alert kept sending during the burst and was not done by its end
    expect(duringBurst).toBeGreaterThan(0);
    expect(stateAfterBurst.state).toBe('sending');
    expect(final).toMatchObject({ state: 'completed', total: RECIPIENTS, sent: RECIPIENTS, failed: 0 });
    expect(alertDeliveries).toHaveLength(RECIPIENTS);
  });
});
