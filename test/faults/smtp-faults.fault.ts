import { bearer, postJson, startKilat, waitUntil, type Kilat } from '../helpers/kilat';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture';

/**
 * The SMTP server misbehaves: temporary refusals for a while, refused connections for a while, a
 * permanent 550 for some addresses, a server that stalls mid-DATA. Every recipient that can be
 * reached gets the alert exactly once; nothing hangs.
 */
const RECIPIENTS = 300;

describe('SMTP trouble', () => {
  let k: Kilat;
  let emails: string[];
  beforeAll(async () => {
    k = await startKilat({ env: { BATCH_SIZE: '50', SMTP_TIMEOUT_MS: '2000' }, smtpCloseTimeoutMs: 200 });
    emails = await seedConfirmed(k.api.core.subscribers, RECIPIENTS, { domain: 'smtp.example' });
  });
  const restarted: SmtpCapture[] = [];
  afterAll(async () => {
    for (const s of restarted) await s.stop();
    await k.stop();
  });
  afterEach(() => {
    k.smtp.rejectRecipient = () => undefined;
    k.smtp.beforeAccept = undefined;
  });

  const delivered = (title: string) => k.smtp.messages.filter((m) => m.parsed.subject === title).flatMap((m) => m.to);
  const status = async (id: string) => (await (await fetch(`${k.baseUrl}/api/alerts/${id}`, { headers: bearer })).json()) as any;
  async function publish(title: string): Promise<string> {
    const res = await postJson(`${k.baseUrl}/api/articles`, { title, body: 'Isi berita.' }, bearer);
    expect(res.status).toBe(202);
    return res.body.alertId;
  }
  const completed = (id: string, ms = 60_000) => waitUntil(async () => (await status(id)).state === 'completed', ms, `alert ${id} completed`);

  test('421/451 for 3 seconds: retried with backoff, then everyone gets it once', async () => {
    const until = Date.now() + 3000;
    let refusals = 0;
    k.smtp.rejectRecipient = () => {
      if (Date.now() >= until) return undefined;
      refusals++;
      return refusals % 2 === 0 ? 421 : 451;
    };
    const id = await publish('SMTP 4xx test');
    await completed(id);
    expect(refusals).toBeGreaterThan(0);
    const got = delivered('SMTP 4xx test');
    expect(got.sort()).toEqual([...emails].sort());
    expect(await status(id)).toMatchObject({ sent: RECIPIENTS, failed: 0 });
    // retries went through the queue's backoff: some batch needed more than one attempt
    const jobs = await k.api.core.queues.send.getJobs(['completed']);
    expect(Math.max(...jobs.map((j) => j.attemptsMade))).toBeGreaterThan(1);
  });

  test('connection refused for 3 seconds: the alert waits and resumes, everyone once', async () => {
    const port = k.smtp.port;
    const old = k.smtp;
    await old.stop();
    const id = await publish('SMTP refused test');
    // The outage lasts 3 s: the fault's length, not a wait standing in for a condition.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await status(id)).toMatchObject({ state: 'sending', sent: 0 });
    // the server comes back on the same port; it is the one the later tests talk to
    const back = await startSmtpCapture({ port, closeTimeoutMs: 200 });
    restarted.push(back);
    k.smtp = back;
    await completed(id);
    expect(delivered('SMTP refused test').sort()).toEqual([...emails].sort());
    expect(await status(id)).toMatchObject({ sent: RECIPIENTS, failed: 0 });
  });

  test('550 for some recipients: they are suppressed and never retried, the rest delivered once', async () => {
    const refused = new Set(emails.filter((_, i) => i % 10 === 3));
    const asked = new Map<string, number>();
    k.smtp.rejectRecipient = (addr) => {
      asked.set(addr, (asked.get(addr) ?? 0) + 1);
      return refused.has(addr) ? 550 : undefined;
    };
    const id = await publish('SMTP 550 test');
    await completed(id);
    const got = delivered('SMTP 550 test');
    expect(got.sort()).toEqual(emails.filter((e) => !refused.has(e)).sort());
    expect(await status(id)).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS - refused.size, failed: refused.size });
    for (const addr of refused) {
      expect(asked.get(addr)).toBe(1);
      expect((await k.api.core.subscribers.findByEmail(addr))!.status).toBe('bounced');
    }
    // restore them for the next test
    for (const addr of refused) {
      const s = (await k.api.core.subscribers.findByEmail(addr))!;
      await k.api.core.subscribers.signup({ email: addr, locale: 'id', topics: [] });
      await k.api.core.subscribers.confirm(s.id, (await k.api.core.subscribers.get(s.id))!.nonce);
    }
  });

  test('a server that stalls mid-DATA: the socket times out, the message is retried, nothing hangs', async () => {
    let stalls = 0;
    k.smtp.beforeAccept = () => (stalls++ < 5 ? new Promise<void>(() => undefined) : undefined);
    const started = Date.now();
    const id = await publish('SMTP stall test');
    await completed(id, 60_000);
    const seconds = (Date.now() - started) / 1000;
    expect(stalls).toBeGreaterThan(5);
    const got = delivered('SMTP stall test');
    expect(got.sort()).toEqual([...emails].sort());
    expect(new Set(got).size).toBe(got.length);
    expect(await status(id)).toMatchObject({ sent: RECIPIENTS, failed: 0 });
    process.stdout.write(`\nsmtp stall: 5 stalled DATA phases, alert complete in ${seconds.toFixed(1)} s (SMTP_TIMEOUT_MS=2000)\n`);
  });
});
