import { bearer, postJson, waitUntil, type Kilat } from './kilat';
import type { ChildService } from './worker-process';

export interface FailoverRun {
  recipients: string[];
  /** Deliveries of the alert per address. */
  deliveries: Map<string, number>;
  duplicates: number;
  /** SMTP sessions open when the master was killed: the most duplicates the README promises. */
  openAtKill: number;
  /** Messages delivered when the master was killed. */
  deliveredAtKill: number;
  /** /readyz answers in order, from the kill until it answered 200 again. */
  readyz: number[];
  /** The worker's log lines from the kill on, parsed. */
  log: { level: number; msg: string; [k: string]: unknown }[];
  final: { state: string; total: number; sent: number; failed: number };
}

/**
 * One alert to `recipients` with a Redis master killed in the middle: publishes, waits until
 * `killAtFraction` of it is delivered, notes the SMTP sessions open, calls `kill`, watches /readyz
 * until it has answered 503 and then 200 again, and waits (generously: the machine may be busy) for
 * the alert to complete. Everything the assertions need comes back; `label` heads the printed figure.
 */
export async function alertThroughFailover(opts: {
  k: Kilat;
  worker: ChildService;
  recipients: string[];
  title: string;
  kill: (alertId: string) => Promise<void>;
  label: string;
  killAtFraction?: number;
}): Promise<FailoverRun> {
  const { k, worker, recipients, title } = opts;
  const delivered = () => k.smtp.messages.filter((m) => m.parsed.subject === title).flatMap((m) => m.to);
  const published = await postJson(`${k.baseUrl}/api/articles`, { title, body: 'Isi berita kilat.' }, bearer);
  if (published.status !== 202) throw new Error(`publish answered ${published.status}`);
  const alertId = String(published.body.alertId);
  await waitUntil(async () => delivered().length >= recipients.length * (opts.killAtFraction ?? 0.15), 120_000, 'part of the alert delivered');

  const openAtKill = k.smtp.openConnections();
  const deliveredAtKill = delivered().length;
  const logFrom = worker.lines.length;
  // /readyz from the kill on, polled beside it: 503 while the master is gone, 200 once one took over.
  const readyz: number[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const status = await fetch(`${k.baseUrl}/readyz`).then((r) => r.status, () => 0);
      if (readyz[readyz.length - 1] !== status) readyz.push(status);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await opts.kill(alertId);
  await waitUntil(async () => readyz.includes(503) && readyz[readyz.length - 1] === 200, 120_000, '/readyz to answer 503 and then 200 again').finally(() => {
    polling = false;
  });
  await poller;
  const final = await waitUntil(
    async () => {
      const res = await fetch(`${k.baseUrl}/api/alerts/${alertId}`, { headers: bearer }).catch(() => undefined);
      if (!res || res.status !== 200) return undefined;
      const s = (await res.json()) as FailoverRun['final'];
      return s.state === 'completed' ? s : undefined;
    },
    180_000,
    'the alert to complete',
  ).catch(async (err: unknown) => {
    // A stall must say where it stopped: the alert's counts, each job state of the send queue, the worker's last lines.
    const status = await fetch(`${k.baseUrl}/api/alerts/${alertId}`, { headers: bearer }).then((r) => r.text(), (e: Error) => e.message);
    const counts = await k.api.core.queues.send.getJobCounts().catch((e: Error) => e.message);
    process.stdout.write(`\n${opts.label}: stalled; alert ${status}; send queue ${JSON.stringify(counts)}\n${worker.lines.slice(-60).join('\n')}\n`);
    throw err;
  });
  // Everyone recorded as sent has been accepted by the SMTP server; wait until the capture has them all.
  await waitUntil(async () => new Set(delivered()).size >= recipients.length || undefined, 30_000, 'every copy to arrive').catch(() => undefined);

  const deliveries = new Map<string, number>();
  for (const to of delivered()) deliveries.set(to, (deliveries.get(to) ?? 0) + 1);
  const duplicates = [...deliveries.values()].reduce((n, c) => n + c - 1, 0);
  const log = worker.lines
    .slice(logFrom)
    .map((l) => {
      try {
        return JSON.parse(l) as FailoverRun['log'][number];
      } catch {
        return { level: 0, msg: l };
      }
    });
  const recovered = log.find((l) => /Redis answers again after/.test(l.msg));
  process.stdout.write(
    `\n${opts.label}: killed at ${deliveredAtKill}/${recipients.length} delivered with ${openAtKill} SMTP sessions open; ` +
      `duplicates ${duplicates}; /readyz ${readyz.join(' -> ')}; worker saw Redis back after ${recovered?.ms ?? '?'} ms; ` +
      `alert ${final.state} (sent ${final.sent}, failed ${final.failed})\n`,
  );
  return { recipients, deliveries, duplicates, openAtKill, deliveredAtKill, readyz, log, final };
}

/** The assertions every failover run shares: nobody missing, duplicates within the bound, one warning, one recovery line, no error storm. */
export function expectFailoverWithoutResends(run: FailoverRun): void {
  expect(run.recipients.filter((r) => !run.deliveries.has(r))).toEqual([]);
  expect(run.deliveries.size).toBe(run.recipients.length);
  expect(run.duplicates).toBeLessThanOrEqual(run.openAtKill);
  expect(run.final).toMatchObject({ state: 'completed', total: run.recipients.length, sent: run.recipients.length, failed: 0 });
  expect(run.readyz).toContain(503);
  expect(run.readyz[run.readyz.length - 1]).toBe(200);
  const warnings = run.log.filter((l) => /waiting for Redis failover/.test(l.msg));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]!.level).toBe(40);
  const recovered = run.log.filter((l) => /Redis answers again after \d+ ms/.test(l.msg));
  expect(recovered).toHaveLength(1);
  expect(recovered[0]!.level).toBe(30);
  // No error storm: no error lines at all (a job given up, a write lost, a worker error per retry).
  expect(run.log.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
}
