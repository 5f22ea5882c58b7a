import { DelayedError } from 'bullmq';
import { RetryableBatchError, type BatchSender } from '../../src/alerts/send-batch';
import { QUEUE_NAMES, type BatchJob } from '../../src/queues';
import type { QueueProcessor } from './processor';

/** How often a batch of a paused alert checks whether it was resumed. */
const PAUSED_RECHECK_MS = 1000;

export interface BatchProcessorDeps {
  sender: BatchSender;
  concurrency: number;
  onCompleted(alertId: string): Promise<void>;
}

/**
 * Sends one batch. Rendering failures end the alert inside the sender (state failed, with the
 * reason); relay failures pause it there. What reaches BullMQ is a temporary failure (retried with
 * backoff) or Kilat's own trouble (Redis away), retried the same way.
 */
export function batchProcessor({ sender, concurrency, onCompleted }: BatchProcessorDeps): QueueProcessor<BatchJob> {
  return {
    queue: QUEUE_NAMES.send,
    concurrency,
    recover: true,
    async process(job, token) {
      const result = await sender.send(job.data.alertId, job.data.batch, { attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 });
      if (result.state === 'paused' || result.retry > 0) {
        // Park the batch (no attempt used) and look again shortly: resume needs no re-enqueueing,
        // and the ledger makes the second run skip whoever already got the alert.
        await job.moveToDelayed(Date.now() + PAUSED_RECHECK_MS, token);
        throw new DelayedError();
      }
      if (result.state === 'completed') await onCompleted(job.data.alertId);
      return result;
    },
    // The sender logs its temporary failures itself, with the batch's counts.
    quietRetry: (err) => err instanceof RetryableBatchError,
  };
}
