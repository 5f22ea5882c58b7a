import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { processEnv } from './config';
import { bootstrap, devBanner } from './dev/bootstrap';
import { startApi } from './server';
import { onShutdown } from './shutdown';

/**
 * A worker that keeps dying is a fault a restart does not fix (a heap cap too small for it, a
 * Redis it cannot use, a broken install): after this many abnormal exits of one worker within the
 * window, Kilat stops with a non-zero code so its supervisor (systemd, Compose) shows the failure
 * instead of a process that looks up while it sends nothing. With the backoff below, a worker that
 * fails at start reaches the limit in about 15 s; one that crashes now and then is restarted forever.
 */
const GIVE_UP_AFTER_EXITS = 5;
const GIVE_UP_WINDOW_MS = 60_000;
/** The wait before a restart doubles with each abnormal exit in the window: a one-off crash is back in 1 s, a loop does not hammer Redis and the log. */
const RESTART_FIRST_MS = 1000;
const RESTART_MAX_MS = 30_000;

interface WorkerExit {
  at: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * `npm start`: the API in this process and WORKER_PROCESSES worker processes beside it (one per core
 * by default). `--only=api` (npm run api) runs the API alone.
 */
async function main(): Promise<void> {
  const onlyApi = process.argv.includes('--only=api');
  const boot = await bootstrap(onlyApi ? 'api' : 'main');
  const { config, logger } = boot;
  const workerEntry = path.join(__dirname, '..', 'workers', 'index.js');
  const children = new Set<ChildProcess>();
  let stopping = false;
  /** Each worker's recent abnormal exits (within GIVE_UP_WINDOW_MS). */
  const exits = new Map<number, WorkerExit[]>();
  let api: Awaited<ReturnType<typeof startApi>> | undefined;

  const shutdownNow = onShutdown(logger, async () => {
    stopping = true;
    const exited = [...children].map((c) => new Promise((resolve) => c.once('exit', resolve)));
    for (const c of children) c.kill('SIGTERM');
    await api?.close();
    await Promise.all(exited);
    await boot.stop();
  });

  const spawnWorker = (n: number) => {
    // The children find the same Redis and the same dev secrets; nothing else needs passing.
    // A worker's live data is small and bounded (a few batches); without a cap V8 lets garbage from
    // thousands of messages a second pile up to 300 MB before collecting it. Measured: same
    // throughput, peak RSS 318 MB -> under 200 MB.
    const heap = config.workerHeapMb > 0 ? [`--max-old-space-size=${config.workerHeapMb}`] : [];
    const child = fork(workerEntry, [], { env: { ...processEnv(), REDIS_URL: config.redisUrl }, execArgv: [...process.execArgv, ...heap] });
    children.add(child);
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (stopping) return;
      const now = Date.now();
      const recent = (exits.get(n) ?? []).filter((e) => now - e.at < GIVE_UP_WINDOW_MS);
      if (code !== 0 || signal !== null) recent.push({ at: now, code, signal });
      exits.set(n, recent);
      if (recent.length >= GIVE_UP_AFTER_EXITS) {
        const how = recent.map((e) => e.signal ?? `code ${e.code}`).join(', ');
        logger.fatal(
          { worker: n, exits: recent.map(({ code: c, signal: s }) => ({ code: c, signal: s })) },
          `worker process ${n} exited abnormally ${recent.length} times within ${GIVE_UP_WINDOW_MS / 1000} s (${how}); not restarting it again; Kilat is stopping`,
        );
        stopping = true;
        return shutdownNow(1);
      }
      const delayMs = Math.min(RESTART_MAX_MS, RESTART_FIRST_MS * 2 ** Math.max(0, recent.length - 1));
      logger.error({ worker: n, code, signal, restartInMs: delayMs }, 'worker process exited; restarting it');
      setTimeout(() => {
        if (!stopping) spawnWorker(n);
      }, delayMs).unref();
    });
  };
  if (!onlyApi) for (let n = 0; n < config.workerProcesses; n++) spawnWorker(n);

  api = await startApi(config, logger);
  if (config.env !== 'production') process.stderr.write(devBanner({ ...config, port: api.port }, boot.devSecrets));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
