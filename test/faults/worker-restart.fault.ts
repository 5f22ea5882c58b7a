import path from 'node:path';
import { freePort } from '../../src/dev/embedded-redis';
import { waitUntil } from '../helpers/kilat';
import { alertStatus, publish } from '../helpers/lifecycle';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { useKilat } from '../helpers/use-kilat';
import { BUILT_MAIN, envFor, spawnBuilt, stopChild, type ChildService } from '../helpers/worker-process';

/**
 * `npm start` (the built dist/src/main.js) supervises its worker processes: one that dies, killed
 * or crashed by an uncaught exception, is logged and started again, and the new one sends.
 */
const READERS = 30;
const CRASH_ON_SIGNAL = path.join(__dirname, '..', 'helpers', 'crash-on-signal.js');

interface LogLine {
  msg: string;
  role?: string;
  pid?: number;
  [field: string]: unknown;
}

const parsed = (lines: string[]): LogLine[] =>
  lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as LogLine];
    } catch {
      return []; // the dev banner and other plain text
    }
  });

describe('npm start restarts a worker process that died', () => {
  let emails: string[];
  let main: ChildService | undefined;
  // The test's Kilat is the API and the Redis; the workers come from the supervised main process only.
  const k = useKilat({ workers: false }, async (kilat) => {
    emails = await seedConfirmed(kilat.api.core.subscribers, READERS, { domain: 'bangkit.example' });
  });
  afterAll(() => stopChild(main));

  const workerStarts = () => parsed(main!.lines).filter((l) => l.role === 'worker' && l.msg === 'worker started');
  const restarts = () => parsed(main!.lines).filter((l) => l.role === 'main' && l.msg === 'worker process exited; restarting it');
  const delivered = (title: string) => k.smtp.messages.filter((m) => m.parsed.subject === title).flatMap((m) => m.to);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  async function sendsToEveryoneOnce(title: string): Promise<void> {
    const id = await publish(k, { title });
    await waitUntil(async () => (await alertStatus(k, id)).state === 'completed', 90_000, `${title} completed`);
    await waitUntil(async () => delivered(title).length >= READERS, 30_000, `${title} at the SMTP server`);
    expect(delivered(title).sort()).toEqual([...emails].sort());
  }

  test('a killed worker and a crashed worker are each logged and replaced; the replacement sends; stopping main stops its workers', async () => {
    const port = await freePort();
    main = spawnBuilt(BUILT_MAIN, envFor(k.config, { WORKER_PROCESSES: '1', HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` }), [], ['--require', CRASH_ON_SIGNAL]);
    await waitUntil(async () => workerStarts().length >= 1, 90_000, 'the first worker started');
    const first = workerStarts()[0]!.pid!;
    await sendsToEveryoneOnce('Sebelum mati');

    // Killed from outside (OOM killer, an operator's kill -9).
    process.kill(first, 'SIGKILL');
    await waitUntil(async () => restarts().length >= 1, 30_000, 'main logged the dead worker');
    expect(restarts()[0]).toMatchObject({ worker: 0, code: null, signal: 'SIGKILL' });
    await waitUntil(async () => workerStarts().length >= 2, 90_000, 'the replacement worker started');
    const second = workerStarts()[1]!.pid!;
    expect(second).not.toBe(first);
    expect(alive(first)).toBe(false);
    await sendsToEveryoneOnce('Setelah dibunuh');

    // A bug: an exception nobody caught. The crash policy logs it and exits 1; main restarts it.
    process.kill(second, 'SIGUSR2');
    await waitUntil(async () => restarts().length >= 2, 30_000, 'main logged the crashed worker');
    const fatal = parsed(main.lines).find((l) => l.pid === second && l.msg === 'uncaught exception; exiting so the supervisor restarts the process');
    expect(fatal).toMatchObject({ level: 60, err: { message: 'injected crash (SIGUSR2)' } });
    expect(restarts()[1]).toMatchObject({ worker: 0, code: 1, signal: null });
    await waitUntil(async () => workerStarts().length >= 3, 90_000, 'the second replacement started');
    const third = workerStarts()[2]!.pid!;
    expect([first, second]).not.toContain(third);
    await sendsToEveryoneOnce('Setelah crash');

    // Nobody got an alert twice across the restarts.
    expect(k.smtp.messages.flatMap((m) => m.to)).toHaveLength(3 * READERS);

    // SIGTERM to main: it stops its worker and exits cleanly, without restarting it.
    main.kill('SIGTERM');
    expect(await main.exited).toEqual({ code: 0, signal: null });
    expect(alive(third)).toBe(false);
    expect(restarts()).toHaveLength(2);
  });
});
