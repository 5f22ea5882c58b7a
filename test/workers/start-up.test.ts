import pino from 'pino';
import { toArticle } from '../../src/article';
import { startWorkers } from '../../workers';
import { waitUntil } from '../helpers/kilat';
import { alertStatus } from '../helpers/lifecycle';
import { waitForDrained } from '../helpers/queue-waits';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { useKilat } from '../helpers/use-kilat';

const READERS = 25;

describe('alerts orphaned at start', () => {
  let emails: string[];
  // No workers yet: the test plays an API that stored alerts and died before enqueueing their fan-out.
  const k = useKilat({ workers: false, env: { BATCH_SIZE: '10' } }, async (kilat) => {
    emails = await seedConfirmed(kilat.api.core.subscribers, READERS, { domain: 'yatim.example' });
  });
  const subjects = (title: string) => k.smtp.messages.filter((m) => m.parsed.subject === title).flatMap((m) => m.to);
  /** What the API's publish does first: the alert stored as queued, and no fan-out job after it. */
  const storeOnly = async (title: string) => (await k.api.core.alerts.create(toArticle({ title, body: `${title}.\n\nParagraf kedua.` }, 'id'))).id;

  test('a queued alert whose fan-out job never got enqueued is sent when workers start, to every reader once; a cancelled one is not', async () => {
    const orphan = await storeOnly('Yatim piatu');
    const cancelled = await storeOnly('Yatim dibatalkan');
    expect((await k.api.core.alerts.control(cancelled, 'cancel')).ok).toBe(true);
    // Nothing would ever send them: no job in any queue.
    expect(await k.api.core.queues.fanout.getJobCounts('waiting', 'active', 'delayed', 'completed')).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 0 });
    expect(await alertStatus(k, orphan)).toMatchObject({ state: 'queued', sent: 0 });

    k.workers = await startWorkers(k.config, pino({ level: 'silent' }));
    await waitUntil(async () => (await alertStatus(k, orphan)).state === 'completed', 60_000, 'the orphaned alert completed');
    await waitForDrained(k, 60_000);
    expect(subjects('Yatim piatu').sort()).toEqual([...emails].sort());
    expect(await alertStatus(k, orphan)).toMatchObject({ state: 'completed', total: READERS, sent: READERS, failed: 0 });
    // The cancelled alert stays cancelled: start-up re-queues only what is still queued.
    expect(await alertStatus(k, cancelled)).toMatchObject({ state: 'cancelled', sent: 0 });
    expect(subjects('Yatim dibatalkan')).toEqual([]);

    // Workers starting again find nothing left to pick up: still everyone exactly once.
    await k.workers.close();
    k.workers = await startWorkers(k.config, pino({ level: 'silent' }));
    const marker = (await k.api.core.publish({ title: 'Penanda', body: 'Penanda.\n\nSetelah restart.' })).alertId;
    await waitUntil(async () => (await alertStatus(k, marker)).state === 'completed', 60_000, 'the marker alert completed');
    await waitForDrained(k, 60_000);
    expect(subjects('Penanda')).toHaveLength(READERS);
    expect(subjects('Yatim piatu')).toHaveLength(READERS);
    expect(new Set(subjects('Yatim piatu')).size).toBe(READERS);
    expect(subjects('Yatim dibatalkan')).toEqual([]);
  });

  test('a scheduled alert whose delayed fan-out job never got enqueued fires at its time once workers start', async () => {
    await k.workers?.close();
    k.workers = undefined;
    const title = 'Yatim terjadwal';
    const at = Date.now() + 1500;
    const { id } = await k.api.core.alerts.create(toArticle({ title, body: `${title}.\n\nParagraf kedua.` }, 'id'), Date.now(), { publishAt: at, input: { title, body: title } });
    expect(await k.api.core.queues.fanout.getJobCounts('waiting', 'active', 'delayed')).toEqual({ waiting: 0, active: 0, delayed: 0 });

    k.workers = await startWorkers(k.config, pino({ level: 'silent' }));
    const done = await waitUntil(async () => {
      const s = await alertStatus(k, id);
      return s.state === 'completed' ? s : undefined;
    }, 60_000, 'the orphaned scheduled alert completed');
    expect(Date.parse(done.firstSentAt)).toBeGreaterThanOrEqual(at);
    await waitForDrained(k, 60_000);
    expect(subjects(title).sort()).toEqual([...emails].sort());
  });
});
