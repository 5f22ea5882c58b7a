import { bearer, postJson, waitUntil } from '../helpers/kilat';
import { waitForAlertIdle } from '../helpers/queue-waits';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { useKilat } from '../helpers/use-kilat';

// Small batches and a slow SMTP server so an alert is still sending when the test acts on it.
const BATCH_SIZE = 40;
const RECIPIENTS = 600;

describe('pause, resume and cancel an alert while it sends', () => {
  let emails: string[];
  const k = useKilat({ env: { BATCH_SIZE: String(BATCH_SIZE), SEND_CONCURRENCY: '4', WORKER_CONCURRENCY: '2' } }, async (kilat) => {
    kilat.smtp.beforeAccept = () => new Promise((r) => setTimeout(r, 5));
    emails = await seedConfirmed(kilat.api.core.subscribers, RECIPIENTS);
  });

  const control = (id: string, action: string, headers: Record<string, string> = bearer) =>
    postJson(`${k.baseUrl}/api/alerts/${id}/${action}`, '', headers);
  const status = async (id: string) => (await fetch(`${k.baseUrl}/api/alerts/${id}`, { headers: bearer })).json() as Promise<any>;
  // Instead of a sleep: every batch of the alert has finished or parked itself after this moment.
  const settle = (id: string) => waitForAlertIdle(k, id, Date.now());
  const received = (from: number) => k.smtp.messages.slice(from).flatMap((m) => m.to);

  async function publish(title: string): Promise<string> {
    const res = await postJson(`${k.baseUrl}/api/articles`, { title, body: `${title}.\n\nParagraf kedua.` }, bearer);
    expect(res.status).toBe(202);
    return res.body.alertId;
  }

  test('pause stops sending within one batch; resume sends the rest, nobody twice; status shows each step', async () => {
    const start = k.smtp.messages.length;
    const id = await publish('Berita jeda');
    await waitUntil(async () => k.smtp.messages.length - start >= 100, 20_000, '100 messages');

    const paused = await control(id, 'pause');
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ id, state: 'paused', changed: true });
    const atPause = k.smtp.messages.length - start;
    await settle(id);
    const afterSettle = k.smtp.messages.length - start;
    // stops within one batch: at most one batch per worker slot was still between two state checks
    expect(afterSettle - atPause).toBeLessThanOrEqual(BATCH_SIZE);
    expect(afterSettle).toBeLessThan(RECIPIENTS);
    await settle(id);
    expect(k.smtp.messages.length - start).toBe(afterSettle); // nothing more while paused
    const whilePaused = await status(id);
    expect(whilePaused).toMatchObject({ state: 'paused', sent: afterSettle });
    expect(whilePaused.pausedAt).toEqual(expect.any(String));

    // pausing again is harmless; resume continues
    expect((await control(id, 'pause')).body).toMatchObject({ state: 'paused', changed: false });
    const resumed = await control(id, 'resume');
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ state: 'sending', changed: true });

    await waitUntil(async () => (await status(id)).state === 'completed', 30_000, 'alert completed');
    const got = received(start);
    expect(got).toHaveLength(RECIPIENTS);
    expect(new Set(got).size).toBe(RECIPIENTS);
    expect([...got].sort()).toEqual([...emails].sort());
    expect(await status(id)).toMatchObject({ state: 'completed', total: RECIPIENTS, sent: RECIPIENTS, failed: 0 });

    // a finished alert can be neither paused nor cancelled
    const late = await control(id, 'pause');
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('alert_state_conflict');
    expect((await control(id, 'cancel')).status).toBe(409);
  });

  test('cancel stops sending within one batch for good; resume cannot restart it', async () => {
    const start = k.smtp.messages.length;
    const id = await publish('Berita batal');
    await waitUntil(async () => k.smtp.messages.length - start >= 60, 20_000, '60 messages');
    const cancelled = await control(id, 'cancel');
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ state: 'cancelled', changed: true });
    const atCancel = k.smtp.messages.length - start;
    await settle(id);
    const final = k.smtp.messages.length - start;
    expect(final - atCancel).toBeLessThanOrEqual(BATCH_SIZE);
    await settle(id);
    expect(k.smtp.messages.length - start).toBe(final);
    expect(new Set(received(start)).size).toBe(final);
    const s = await status(id);
    expect(s).toMatchObject({ state: 'cancelled', sent: final });
    expect(s.cancelledAt).toEqual(expect.any(String));
    expect((await control(id, 'resume')).status).toBe(409);
    expect((await control(id, 'cancel')).body).toMatchObject({ state: 'cancelled', changed: false });
  });

  test('an alert paused before its fan-out sends nothing until resumed, then everyone once', async () => {
    // Hold the worker's fan-out by pausing immediately after publishing: whichever runs first, the
    // batches must wait for resume.
    const start = k.smtp.messages.length;
    const id = await publish('Berita tahan');
    expect((await control(id, 'pause')).body.state).toBe('paused');
    await settle(id);
    const early = k.smtp.messages.length - start;
    expect(early).toBeLessThanOrEqual(BATCH_SIZE);
    expect((await control(id, 'resume')).status).toBe(200);
    await waitUntil(async () => (await status(id)).state === 'completed', 30_000, 'alert completed');
    const got = received(start);
    expect(got).toHaveLength(RECIPIENTS);
    expect(new Set(got).size).toBe(RECIPIENTS);
  });

  test('the actions need the publisher token and a real alert', async () => {
    const id = await publish('Berita token');
    await control(id, 'cancel');
    for (const action of ['pause', 'resume', 'cancel']) {
      const noToken = await control(id, action, {});
      expect(noToken.status).toBe(401);
      expect(noToken.body.error.code).toBe('unauthorized');
      const wrong = await control(id, action, { authorization: 'Bearer not-the-token-0123456789' });
      expect(wrong.status).toBe(401);
      expect((await control('999999', action)).status).toBe(404);
      expect((await control('abc', action)).status).toBe(404);
    }
  });
});
