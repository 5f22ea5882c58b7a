import { bearer, postJson, waitUntil } from '../helpers/kilat';
import { alertStatus } from '../helpers/lifecycle';
import { waitForDrained } from '../helpers/queue-waits';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { useKilat } from '../helpers/use-kilat';
import { BUILT_WORKER, envFor, spawnBuilt, stopChild, type ChildService } from '../helpers/worker-process';

/**
 * Scheduled alerts with three built worker processes (what WORKER_PROCESSES=3 runs): each fires
 * once, at or after its time, with a worker killed and another restarted while they wait, an edit
 * that moves one later, and an outage of every worker across a publishAt. Lateness is printed (a
 * figure for the record; timing goals live in npm run bench).
 */
const READERS = 40;
const iso = (ms: number) => new Date(ms).toISOString();

interface LogLine {
  msg?: string;
  alertId?: string;
}
const logLines = (w: ChildService): LogLine[] =>
  w.lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as LogLine];
    } catch {
      return [];
    }
  });

describe('scheduled alerts across three worker processes and restarts', () => {
  let emails: string[];
  const all: ChildService[] = [];
  const k = useKilat({ workers: false, env: { BATCH_SIZE: '10' } }, async (kilat) => {
    emails = await seedConfirmed(kilat.api.core.subscribers, READERS, { domain: 'jadwal-tiga.example' });
  });
  afterAll(async () => {
    await Promise.all(all.map((w) => stopChild(w)));
  });

  const startWorker = async () => {
    const w = spawnBuilt(BUILT_WORKER, envFor(k.config));
    all.push(w);
    await w.waitForLine(/"worker started"/, 60_000);
    return w;
  };
  const schedule = async (title: string, at: number) => {
    const res = await postJson(`${k.baseUrl}/api/articles`, { title, body: `${title}.\n\nIsi berita.`, publishAt: iso(at) }, bearer);
    expect(res.body).toMatchObject({ status: 'scheduled' });
    return res.body.alertId as string;
  };
  const delivered = (title: string) => k.smtp.messages.filter((m) => m.parsed.subject === title).flatMap((m) => m.to);
  /** Sent to everyone exactly once, not before its time; the fan-out ran once in all the processes. Returns the lateness (ms). */
  async function firedOnce(id: string, title: string, at: number): Promise<number> {
    const done = await waitUntil(async () => {
      const s = await alertStatus(k, id);
      return s.state === 'completed' ? s : undefined;
    }, 90_000, `${title} completed`);
    await waitUntil(async () => delivered(title).length >= READERS, 30_000, `${title} at the SMTP server`);
    expect([...delivered(title)].sort()).toEqual([...emails].sort());
    expect(done).toMatchObject({ sent: READERS, failed: 0, skipped: 0, publishAt: iso(at) });
    expect(Date.parse(done.firstSentAt)).toBeGreaterThanOrEqual(at);
    const fanouts = all.flatMap(logLines).filter((l) => l.msg === 'fan-out done' && l.alertId === id);
    expect([title, fanouts.length]).toEqual([title, 1]);
    return Date.parse(done.firstSentAt) - at;
  }

  test('each alert fires once at its time: a worker killed and one restarted while they wait, an edit, every worker away across the time', async () => {
    const workers = [await startWorker(), await startWorker(), await startWorker()];
    const t0 = Date.now();
    const plan = [
      { title: 'Jadwal satu', at: t0 + 5000 },
      { title: 'Jadwal dua', at: t0 + 7000 },
      { title: 'Jadwal tiga', at: t0 + 9000 },
    ];
    const ids = await Promise.all(plan.map((p) => schedule(p.title, p.at)));
    // Scheduled for +6 s, then moved to +11 s: nothing may go out at the first time.
    const movedTitle = 'Jadwal dipindah';
    const moved = await schedule(movedTitle, t0 + 6000);
    const movedAt = t0 + 11_000;
    const patch = await fetch(`${k.baseUrl}/api/alerts/${moved}`, {
      method: 'PATCH',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ publishAt: iso(movedAt) }),
    });
    expect(patch.status).toBe(200);

    // While they wait: one worker is killed (kill -9), another stopped and started again.
    workers[0]!.kill('SIGKILL');
    await workers[0]!.exited;
    await stopChild(workers[1]);
    workers[0] = await startWorker();
    workers[1] = await startWorker();
    expect(Date.now()).toBeLessThan(plan[0]!.at);

    const late: Record<string, number> = {};
    for (const [i, p] of plan.entries()) late[p.title] = await firedOnce(ids[i]!, p.title, p.at);
    late[movedTitle] = await firedOnce(moved, movedTitle, movedAt);

    // Every worker away (a deploy, a crash loop) across an alert's time: it fires once they are back.
    await Promise.all(workers.map((w) => stopChild(w)));
    const outageAt = Date.now() + 1500;
    const outage = await schedule('Jadwal saat padam', outageAt);
    await waitUntil(async () => Date.now() > outageAt + 500, 10_000, 'the time passes with no worker running');
    expect(await alertStatus(k, outage)).toMatchObject({ state: 'scheduled' });
    await Promise.all([startWorker(), startWorker(), startWorker()]);
    const afterOutage = await firedOnce(outage, 'Jadwal saat padam', outageAt);

    await waitForDrained(k, 30_000);
    // Nobody got anything twice across the restarts.
    expect(k.smtp.messages.flatMap((m) => m.to)).toHaveLength(5 * READERS);
    console.log(`first copy after publishAt (ms): ${JSON.stringify(late)}; after an outage across its time: ${afterOutage} ms`);
  });
});
