import type { Logger } from './logger';
import type { ReplicaConfirm } from './redis-replicas';

/** Thrown by a write that was still not in Redis when the process shut down (it has been logged). */
export class NotRecordedError extends Error {
  constructor(readonly what: string) {
    super(`not recorded in Redis before shutdown: ${what}`);
    this.name = 'NotRecordedError';
  }
}

export interface DurableWrites {
  /**
   * Runs `write` until Redis takes it: a write that records something that already happened outside
   * Redis (a message the relay accepted, a bounce) must not fail the job, or its retry redoes the
   * work. `write` must be idempotent (a retry may follow a write whose reply was lost). `what` and
   * `ids` name it in the shutdown log line should it never get through. With `confirmOn` (a key the
   * write touches) it only counts as done once a replica of that key's master has it too: a master
   * that dies first takes the write with it, and `write` runs again on the one promoted. With
   * `maxWaitMs` (a request someone is waiting on) it gives up after that long and rejects with
   * Redis's last error, which the caller answers as "try again shortly".
   */
  run<T>(what: string, ids: Record<string, unknown>, write: () => Promise<T>, opts?: { confirmOn?: string; maxWaitMs?: number }): Promise<T>;
  /** Writes still waiting for Redis. */
  readonly waiting: number;
  /**
   * Shutdown: writes keep trying for `graceMs`, then give up; each one given up is logged (error,
   * with its ids) and rejects with NotRecordedError. Resolves when none is left.
   */
  close(graceMs: number): Promise<void>;
}

/** Errors that mean "Redis is not there right now", not "this command is wrong". */
const UNAVAILABLE =
  /Too many Cluster redirections|Connection is closed|Command aborted due to connection close|Cluster isn't ready|ClusterAllFailedError|Failed to refresh slots cache|MaxRetriesPerRequest|Reached the max retries|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|Stream isn't writeable|CLUSTERDOWN|TRYAGAIN|LOADING|READONLY|MASTERDOWN|NOREPLICAS|All sentinels are unreachable|timed out/i;

export const isRedisUnavailable = (err: unknown): boolean => UNAVAILABLE.test(String((err as Error)?.message ?? err));

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 2000;

/**
 * Retried writes for one process, bounded by its shutdown: backoff from 100 ms doubling to 2 s (no
 * spinning while Redis is away), and only for errors that say Redis is unavailable; any other error
 * (a bug, a script error) fails at once as before.
 */
export function createDurableWrites(deps: { logger: Logger; replicas?: ReplicaConfirm }): DurableWrites {
  let deadline: number | undefined;
  const waiters = new Set<() => void>();
  let waiting = 0;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
    });
  // Each write in flight, with what the shutdown line says of it should it never get through.
  const pending = new Map<Promise<unknown>, { what: string; ids: Record<string, unknown>; err?: string; logged?: boolean }>();
  const giveUp = (entry: { what: string; ids: Record<string, unknown>; err?: string; logged?: boolean }) => {
    if (entry.logged) return;
    entry.logged = true;
    deps.logger.error({ ...entry.ids, err: entry.err ?? 'no answer from Redis' }, `not recorded in Redis before shutdown: ${entry.what}`);
  };

  async function attempt<T>(entry: { what: string; ids: Record<string, unknown>; err?: string; logged?: boolean }, write: () => Promise<T>, confirmOn?: string, maxWaitMs?: number): Promise<T> {
    let delay = FIRST_DELAY_MS;
    const ownDeadline = maxWaitMs === undefined ? undefined : Date.now() + maxWaitMs;
    const replicas = confirmOn === undefined ? undefined : deps.replicas;
    for (;;) {
      try {
        const since = replicas?.epoch() ?? 0;
        const result = await write();
        await replicas?.confirm(confirmOn!, since);
        return result;
      } catch (err) {
        if (!isRedisUnavailable(err)) throw err;
        entry.err = (err as Error).message;
        if (deadline !== undefined && Date.now() >= deadline) {
          giveUp(entry);
          throw new NotRecordedError(entry.what);
        }
        if (ownDeadline !== undefined && Date.now() >= ownDeadline) {
          deps.logger.warn({ ...entry.ids, err: entry.err, waitedMs: maxWaitMs }, `not recorded in Redis, gave up waiting: ${entry.what}`);
          throw err;
        }
        const until = Math.min(deadline ?? Infinity, ownDeadline ?? Infinity);
        await pause(Number.isFinite(until) ? Math.min(delay, Math.max(0, until - Date.now())) : delay);
        delay = Math.min(delay * 2, MAX_DELAY_MS);
      }
    }
  }

  return {
    run(what, ids, write, opts) {
      const entry = { what, ids };
      waiting++;
      const p = attempt(entry, write, opts?.confirmOn, opts?.maxWaitMs).finally(() => {
        waiting--;
        pending.delete(p);
      });
      pending.set(p, entry);
      return p;
    },
    get waiting() {
      return waiting;
    },
    async close(graceMs) {
      deadline = Date.now() + graceMs;
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
        timer.unref();
      });
      await Promise.race([Promise.allSettled([...pending.keys()]), graceOver]);
      clearTimeout(timer);
      // Writes sleeping between tries wake for their last one; a write whose command is still
      // waiting on a connection (it may never answer before the process exits) is logged now.
      [...waiters].forEach((w) => w());
      for (const entry of pending.values()) if (Date.now() >= deadline) giveUp(entry);
    },
  };
}
