import { enqueueFanout } from '../../src/alerts/publish';
import { fanoutJobId } from '../../src/queues';
import { bearer, postJson, waitUntil } from '../helpers/kilat';
import { alertStatus } from '../helpers/lifecycle';
import { waitForJob } from '../helpers/queue-waits';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { useKilat } from '../helpers/use-kilat';

/**
 * Scheduled alerts (publishAt): held in `scheduled` until their time, editable and cancellable
 * until then, sent to everyone once when it comes, never before; a bad time is a clear 400 and
 * stores nothing. The multi-process and restart case is test/faults/scheduled-alerts.fault.ts.
 */
const READERS = 6;
const iso = (ms: number) => new Date(ms).toISOString();

async function patchJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'PATCH', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

let seq = 0;
const article = (title: string, extra: Record<string, unknown> = {}) => ({ id: `jadwal-${Date.now()}-${++seq}`, title, body: `${title}.\n\nParagraf kedua.`, ...extra });

describe('scheduled alerts', () => {
  let emails: string[];
  const k = useKilat({}, async (kilat) => {
    emails = await seedConfirmed(kilat.api.core.subscribers, READERS, { domain: 'jadwal.example' });
  });
  const received = (title: string) => k.smtp.messages.filter((m) => m.parsed.subject === title);
  const schedule = async (title: string, at: number, extra: Record<string, unknown> = {}) => {
    const res = await postJson(`${k.baseUrl}/api/articles`, article(title, { publishAt: iso(at), ...extra }), bearer);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'scheduled', publishAt: iso(at) });
    return res.body.alertId as string;
  };
  const completed = (id: string) =>
    waitUntil(async () => {
      const s = await alertStatus(k, id);
      return s.state === 'completed' ? s : undefined;
    }, 30_000, `alert ${id} completed`);
  /** The alert's delayed fan-out job has run (and done whatever it does for the alert's state). */
  const fanoutRan = async (id: string) => {
    const job = await k.api.core.queues.fanout.getJob(fanoutJobId(id));
    await waitForJob(k.api.core.queues.fanout, job!, 30_000);
  };

  test('a publishAt in the past, too far ahead or not a time is a 400 and stores no alert', async () => {
    const before = await k.api.core.alerts.recentIds(200);
    const cases: [unknown, string][] = [
      [iso(Date.now() - 60_000), 'publish_at_in_past'],
      [iso(Date.now() + 31 * 86400_000), 'publish_at_too_far'],
      ['tomorrow at noon', 'validation_failed'],
      [1767225600000, 'validation_failed'],
    ];
    for (const [publishAt, code] of cases) {
      const res = await postJson(`${k.baseUrl}/api/articles`, article('Jadwal salah', { publishAt }), bearer);
      expect([publishAt, res.status, res.body.error.code]).toEqual([publishAt, 400, code]);
      expect(res.body.error.message).toMatch(/publishAt/);
    }
    expect(await k.api.core.alerts.recentIds(200)).toEqual(before);
  });

  test('a scheduled alert waits in `scheduled`, then goes to everyone once, not before its time', async () => {
    const at = Date.now() + 2000;
    const id = await schedule('Terjadwal', at);
    const waiting = await alertStatus(k, id);
    expect(waiting).toMatchObject({ state: 'scheduled', publishAt: iso(at), sent: 0, total: 0 });
    expect(received('Terjadwal')).toHaveLength(0);

    const done = await completed(id);
    expect(done).toMatchObject({ sent: READERS, failed: 0, skipped: 0, publishAt: iso(at) });
    expect(Date.parse(done.firstSentAt)).toBeGreaterThanOrEqual(at);
    await waitUntil(async () => received('Terjadwal').length >= READERS, 10_000, 'every copy at the SMTP server');
    expect(received('Terjadwal').flatMap((m) => m.to).sort()).toEqual([...emails].sort());
    // Lateness is a figure for the record, not an assertion (timing goals live in npm run bench).
    console.log(`scheduled alert: first copy sent ${Date.parse(done.firstSentAt) - at} ms after publishAt`);
  });

  test('editing before it fires changes what is sent and when; the old time passes without a send', async () => {
    const first = Date.now() + 1500;
    const id = await schedule('Sebelum disunting', first);
    const later = Date.now() + 4000;
    const edited = await patchJson(`${k.baseUrl}/api/alerts/${id}`, { title: 'Sesudah disunting', summary: 'Ringkasan baru.', publishAt: iso(later) });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id, state: 'scheduled', title: 'Sesudah disunting', publishAt: iso(later) });

    const done = await completed(id);
    expect(Date.parse(done.firstSentAt)).toBeGreaterThanOrEqual(later);
    expect(received('Sebelum disunting')).toHaveLength(0);
    await waitUntil(async () => received('Sesudah disunting').length >= READERS, 10_000, 'the edited alert at the SMTP server');
    expect(received('Sesudah disunting')[0]!.parsed.text).toContain('Ringkasan baru.');
    expect(received('Sesudah disunting').flatMap((m) => m.to).sort()).toEqual([...emails].sort());
  });

  test('a fan-out job that comes due before the record\'s time (an edit raced it) puts itself back to that time', async () => {
    const id = await schedule('Balapan', Date.now() + 1000);
    // The record moves later but the job keeps its old time: what an edit landing while the job is
    // already running leaves behind.
    const alert = (await k.api.core.alerts.get(id))!;
    const later = Date.now() + 3500;
    expect(await k.api.core.alerts.editScheduled(id, alert.article, {}, later)).toMatchObject({ ok: true });
    const done = await completed(id);
    expect(Date.parse(done.firstSentAt)).toBeGreaterThanOrEqual(later);
    expect(done.sent).toBe(READERS);
    await waitUntil(async () => received('Balapan').length >= READERS, 10_000, 'every copy at the SMTP server');
    expect(received('Balapan').flatMap((m) => m.to).sort()).toEqual([...emails].sort());
  });

  test('an edit can bring the time forward: an alert due in an hour goes out at the new time', async () => {
    const id = await schedule('Dimajukan', Date.now() + 3600_000);
    const sooner = Date.now() + 1500;
    expect((await patchJson(`${k.baseUrl}/api/alerts/${id}`, { publishAt: iso(sooner) })).status).toBe(200);
    const done = await completed(id);
    expect(Date.parse(done.firstSentAt)).toBeGreaterThanOrEqual(sooner);
    expect(done.sent).toBe(READERS);
  });

  test('an edit is validated like a publish, and only a scheduled alert can be edited', async () => {
    const id = await schedule('Disunting salah', Date.now() + 3600_000);
    const bad: [unknown, number, string][] = [
      [{ publishAt: iso(Date.now() - 1000) }, 400, 'publish_at_in_past'],
      [{ publishAt: iso(Date.now() + 40 * 86400_000) }, 400, 'publish_at_too_far'],
      [{ title: '' }, 400, 'validation_failed'],
      [{ title: 'Baris\r\nBcc: x@example.com' }, 400, 'validation_failed'],
      [{ topics: ['bukan-topik'] }, 400, 'validation_failed'],
      [{ colour: 'red' }, 400, 'validation_failed'],
      [{ id: 'lain' }, 400, 'validation_failed'],
      [{ updates: '1' }, 400, 'validation_failed'],
      [[1, 2], 400, 'validation_failed'],
    ];
    for (const [body, status, code] of bad) {
      const res = await patchJson(`${k.baseUrl}/api/alerts/${id}`, body);
      expect([body, res.status, res.body.error?.code]).toEqual([body, status, code]);
    }
    // Nothing of the refused edits landed.
    expect(await alertStatus(k, id)).toMatchObject({ state: 'scheduled', title: 'Disunting salah' });
    expect((await patchJson(`${k.baseUrl}/api/alerts/99999`, { title: 'x' })).status).toBe(404);

    const now = await postJson(`${k.baseUrl}/api/articles`, article('Langsung'), bearer);
    await completed(now.body.alertId);
    const late = await patchJson(`${k.baseUrl}/api/alerts/${now.body.alertId}`, { title: 'Terlambat' });
    expect([late.status, late.body.error.code]).toEqual([409, 'alert_state_conflict']);
    await postJson(`${k.baseUrl}/api/alerts/${id}/cancel`, '', bearer);
  });

  test('cancelling a scheduled alert takes its delayed fan-out job out of the queue', async () => {
    const id = await schedule('Dibatalkan lebih awal', Date.now() + 3600_000);
    const { fanout } = k.api.core.queues;
    expect(await (await fanout.getJob(fanoutJobId(id)))!.isDelayed()).toBe(true);
    const delayed = await fanout.getDelayedCount();
    const res = await postJson(`${k.baseUrl}/api/alerts/${id}/cancel`, '', bearer);
    expect(res.body).toMatchObject({ state: 'cancelled', changed: true });
    expect(await fanout.getJob(fanoutJobId(id))).toBeUndefined();
    expect(await fanout.getDelayedCount()).toBe(delayed - 1);
    // a second cancel changes nothing and is still fine without the job
    expect((await postJson(`${k.baseUrl}/api/alerts/${id}/cancel`, '', bearer)).body).toMatchObject({ state: 'cancelled', changed: false });
  });

  test('a cancelled scheduled alert is never sent, even when its fan-out job survives the cancel and comes due', async () => {
    const at = Date.now() + 1500;
    const id = await schedule('Dibatalkan', at);
    const res = await postJson(`${k.baseUrl}/api/alerts/${id}/cancel`, '', bearer);
    expect(res.body).toMatchObject({ state: 'cancelled', changed: true });
    expect((await patchJson(`${k.baseUrl}/api/alerts/${id}`, { title: 'x' })).status).toBe(409);
    // The job as it would be had its removal failed (the cancel only warns then): the record decides.
    await enqueueFanout(k.api.core.queues, id, Math.max(0, at - Date.now()));
    await fanoutRan(id);
    expect(Date.now()).toBeGreaterThanOrEqual(at);
    expect(await alertStatus(k, id)).toMatchObject({ state: 'cancelled', sent: 0, total: 0 });
    expect(received('Dibatalkan')).toHaveLength(0);
  });

  test('publishing the same article again while it is scheduled is a duplicate that keeps the first time', async () => {
    const at = Date.now() + 3600_000;
    const body = article('Dua kali', { publishAt: iso(at) });
    const first = await postJson(`${k.baseUrl}/api/articles`, body, bearer);
    const again = await postJson(`${k.baseUrl}/api/articles`, { ...body, publishAt: iso(at + 60_000) }, bearer);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ alertId: first.body.alertId, status: 'duplicate' });
    expect(await alertStatus(k, first.body.alertId)).toMatchObject({ state: 'scheduled', publishAt: iso(at) });
    await postJson(`${k.baseUrl}/api/alerts/${first.body.alertId}/cancel`, '', bearer);
  });
});

describe('the stale-alert guard counts from publishAt', () => {
  const k = useKilat({ env: { ALERT_MAX_AGE: '3s' } }, async (kilat) => {
    await seedConfirmed(kilat.api.core.subscribers, 3, { domain: 'basi.example' });
  });
  const completed = (id: string) =>
    waitUntil(async () => {
      const s = await alertStatus(k, id);
      return s.state === 'completed' ? s : undefined;
    }, 30_000, `alert ${id} completed`);

  test('an article written long ago but scheduled for now is fresh: it is sent', async () => {
    const res = await postJson(
      `${k.baseUrl}/api/articles`,
      article('Ditulis lama', { publishedAt: iso(Date.now() - 3600_000), publishAt: iso(Date.now() + 1000) }),
      bearer,
    );
    expect(await completed(res.body.alertId)).toMatchObject({ sent: 3, skipped: 0 });
  });

  test('a scheduled alert whose fan-out runs more than ALERT_MAX_AGE after its time is not sent, and says so', async () => {
    const fanout = k.api.core.queues.fanout;
    // Every worker away (what a long outage does): the fan-out cannot run at its time.
    await fanout.pause();
    try {
      const at = Date.now() + 1000;
      const res = await postJson(`${k.baseUrl}/api/articles`, article('Terlambat basi', { publishAt: iso(at) }), bearer);
      expect(res.status).toBe(202);
      // The outage lasts past publishAt + ALERT_MAX_AGE (whole seconds: 4 s is more than 3).
      await waitUntil(async () => Date.now() > at + 4500, 10_000, 'ALERT_MAX_AGE past publishAt');
      await fanout.resume();
      const done = await completed(res.body.alertId);
      expect(done).toMatchObject({ sent: 0, skipped: 3 });
      expect(done.reason).toMatch(/^stale: the article \(scheduled for .+\) was \d+ s old when its batch was due, more than ALERT_MAX_AGE \(3 s\); not sent$/);
      expect(k.smtp.messages.filter((m) => m.parsed.subject === 'Terlambat basi')).toHaveLength(0);
    } finally {
      await fanout.resume();
    }
  });
});
