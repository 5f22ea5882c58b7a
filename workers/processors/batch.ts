import { DelayedError } from 'bullmq';
import { BatchTakenOverError, RetryableBatchError, type BatchSender } from '../../src/alerts/send-batch';
import type { Redis } from '../../src/redis';
import { QUEUE_NAMES, type BatchJob } from '../../src/queues';
import type { QueueProcessor } from './processor';

/** How often a batch of a paused alert checks whether it was resumed. */
const PAUSED_RECHECK_MS = 1000;

export interface BatchProcessorDeps {
  sender: BatchSender;
  concurrency: number;
  onCompleted(alertId: string): Promise<void>;
  /** Reads the job's lock (ownership) while the batch sends. */
  redis: Redis;
}

/**
 * Sends one batch. Rendering failures end the alert inside the sender (state failed, with the
 * reason); relay failures pause it there. What reaches BullMQ is a temporary failure (retried with
 * backoff) or Kilat's own trouble (Redis away), retried the same way.
 */
export function batchProcessor({ sender, concurrency, onCompleted, redis }: BatchProcessorDeps): QueueProcessor<BatchJob> {
  return {
    queue: QUEUE_NAMES.send,
    concurrency,
    recover: true,
    async process(job, token) {
      // BullMQ's lock key (`<prefix>:<queue>:<job id>:lock`, holding the token of the run that owns
      // the job): a failover that loses the write which handed this run the job, or a lock that
      // expired while Redis was away, gives the job to another run, and this one must stop.
      const lockKey = `${job.queueQualifiedName}:${job.id}:lock`;
      const owned = token ? async () => (await redis.get(lockKey)) === token : undefined;
      const result = await sender.send(job.data.alertId, job.data.batch, { attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1, owned });
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
    quietRetry: (err) => err instanceof RetryableBatchError || err instanceof BatchTakenOverError,
  };
}
