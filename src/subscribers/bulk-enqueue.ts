/** The part of a BullMQ queue the batcher needs (a Queue<T> fits). */
export interface BulkQueue<T> {
  addBulk(jobs: { name: string; data: T }[]): Promise<unknown>;
}

/** Most jobs in one addBulk: one MULTI of that many BullMQ add scripts. */
const MAX_GROUP = 200;

/**
 * Adds jobs in groups: a job waits for the end of the current event-loop turn, or for the group in
 * flight to come back, and goes in one addBulk (one round trip) with every job that arrived
 * meanwhile. Idle, a job is added at once, as `add` would; under a burst of sign-ups tens share a
 * round trip. Each caller's promise settles when its own job is in Redis (or with the error that
 * kept it out), so an answer is never given before its job exists.
 */
export function createBulkEnqueue<T>(queue: BulkQueue<T>, name: string): (data: T) => Promise<void> {
  let pending: { data: T; resolve: () => void; reject: (err: unknown) => void }[] = [];
  let flushing = false;
  let scheduled = false;
  const flush = async () => {
    scheduled = false;
    if (flushing) return;
    flushing = true;
    while (pending.length > 0) {
      const group = pending.splice(0, MAX_GROUP);
      try {
        await queue.addBulk(group.map((j) => ({ name, data: j.data })));
        for (const j of group) j.resolve();
      } catch (err) {
        for (const j of group) j.reject(err);
      }
    }
    flushing = false;
  };
  return (data) =>
    new Promise<void>((resolve, reject) => {
      pending.push({ data, resolve, reject });
      if (!flushing && !scheduled) {
        scheduled = true;
        setImmediate(() => void flush());
      }
    });
}
