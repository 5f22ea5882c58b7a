import type { Job, Queue } from 'bullmq';
import { waitUntil, type Kilat } from './kilat';

/** Queues whose jobs come from alerts, sign-ups and events (the feed and digest ticks repeat forever). */
const WORK_QUEUES = ['fanout', 'send', 'confirmations', 'webhooks'] as const;

/** Resolves once no job is waiting, delayed or running in any work queue: everything queued so far has been done. */
export async function waitForDrained(k: Kilat, timeoutMs = 20_000): Promise<void> {
  const queues = k.api.core.queues;
  await waitUntil(
    async () => {
      for (const name of WORK_QUEUES) {
        const counts = await queues[name].getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
        if (Object.values(counts).some((n) => n > 0)) return false;
      }
      return true;
    },
    timeoutMs,
    'the work queues to drain',
  );
}

/**
 * Resolves once every job of one alert (its fan-out and each batch) has either finished or, since
 * `since` (epoch ms), run again and parked itself: after a pause or cancel at `since`, every batch
 * has seen that state, so nothing more of this alert can reach the SMTP server until it is resumed.
 */
export async function waitForAlertIdle(k: Kilat, alertId: string, since: number, timeoutMs = 20_000): Promise<void> {
  const { fanout, send } = k.api.core.queues;
  const ofAlert = (jobs: Job[]) => jobs.filter((j) => j?.data?.alertId === alertId);
  const pending = ['waiting', 'active', 'prioritized', 'waiting-children'] as const;
  await waitUntil(
    async () => {
      if (ofAlert(await fanout.getJobs([...pending])).length > 0) return false;
      if (ofAlert(await send.getJobs([...pending])).length > 0) return false;
      // Parked (delayed) batches must each have looked at the alert after `since`.
      const parked = ofAlert(await send.getJobs(['delayed']));
      return parked.every((j) => j.processedOn !== undefined && j.processedOn > since);
    },
    timeoutMs,
    `alert ${alertId}'s batches to stop`,
  );
}

/**
 * Resolves with the return value of a job of `queue` once it has completed (a job that failed
 * throws its reason): what the job did, it has done, so a "nothing more" assertion after it checks.
 */
export async function waitForJob<T = unknown>(queue: Queue, job: Job, timeoutMs = 20_000): Promise<T> {
  const what = `job ${queue.name}:${job.id}`;
  const done = await waitUntil(
    async () => {
      const current = await queue.getJob(job.id!);
      const state = await current?.getState();
      return state === 'completed' || state === 'failed' ? current : undefined;
    },
    timeoutMs,
    `${what} to finish`,
  );
  if (done.failedReason) throw new Error(`${what} failed: ${done.failedReason}`);
  return done.returnvalue as T;
}
