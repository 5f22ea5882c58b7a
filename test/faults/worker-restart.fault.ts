import path from 'node:path';
import { freePort } from '../../src/dev/embedded-redis';
import { waitUntil } from '../helpers/kilat';
import { alertStatus, publish } from '../helpers/lifecycle';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { useKilat } from '../helpers/use-kilat';
import { BUILT_MAIN, envFor, spawnBuilt, stopChild, type ChildService } from '../helpers/worker-process';

/**
 * `npm start` (the built dist/src/main.js) supervises its worker processes: one that dies, killed
 * or crashed by an uncaught exception, is logged and started again, and the new one sends. One that
 * keeps dying is given up on: main stops with a non-zero code for its supervisor to see.
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

  test('a worker that dies at every start is restarted with a growing wait, then main gives up: one fatal line and a non-zero exit', async () => {
    const port = await freePort();
    // A real misconfiguration only the workers trip on: a heap cap of 1 MB (meant as 1 GB?) is too
    // small for V8 to even load the worker, so each one dies before its first line.
    const looping = spawnBuilt(BUILT_MAIN, envFor(k.config, { WORKER_PROCESSES: '1', WORKER_HEAP_MB: '1', HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` }));
    try {
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      void looping.exited.then((e) => (exit = e));
      await waitUntil(async () => exit, 90_000, 'main to give up on the worker and exit');
      expect(exit).toEqual({ code: 1, signal: null });

      const lines = parsed(looping.lines).filter((l) => l.role === 'main');
      const restarted = lines.filter((l) => l.msg === 'worker process exited; restarting it');
      expect(restarted.map((l) => l.restartInMs)).toEqual([1000, 2000, 4000, 8000]);
      const fatal = lines.filter((l) => l.level === 60);
      expect(fatal).toHaveLength(1);
      expect(fatal[0]!.msg).toMatch(/^worker process 0 exited abnormally 5 times within 60 s \(.+\); not restarting it again; Kilat is stopping$/);
      const exits = fatal[0]!.exits as { code: number | null; signal: string | null }[];
      expect(exits).toHaveLength(5);
      for (const e of exits) expect(e.signal !== null || (e.code !== null && e.code !== 0)).toBe(true);
      // Stopped through the ordinary shutdown (API closed, Redis connections ended); no worker ever started.
      expect(lines.filter((l) => l.msg === 'shutting down')).toMatchObject([{ exitCode: 1 }]);
      expect(parsed(looping.lines).filter((l) => l.msg === 'worker started')).toHaveLength(0);
    } finally {
      await stopChild(looping);
    }
  });
});
