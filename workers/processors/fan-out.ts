import { DelayedError } from 'bullmq';
import type { Core } from '../../src/core';
import { runFanout } from '../../src/alerts/fan-out';
import type { BatchSender } from '../../src/alerts/send-batch';
import { QUEUE_NAMES, type FanoutJob } from '../../src/queues';
import type { QueueProcessor } from './processor';

export interface FanoutProcessorDeps {
  core: Core;
  sender: BatchSender;
  onCompleted(alertId: string): Promise<void>;
}

/** Splits an alert into batch jobs. A failure (Redis away) is retried with the queue's backoff. */
export function fanoutProcessor({ core, sender, onCompleted }: FanoutProcessorDeps): QueueProcessor<FanoutJob> {
  return {
    queue: QUEUE_NAMES.fanout,
    concurrency: 2,
    recover: true,
    async process(job, token) {
      const { state, notBefore } = await runFanout(
        {
          alerts: core.alerts,
          subscribers: core.subscribers,
          queues: core.queues,
          batchSize: core.config.batchSize,
          logger: core.logger,
          // Render while the batches are being queued; a template error surfaces in the first batch.
          onStart: (alert) => void sender.prepare(alert).catch(() => undefined),
        },
        job.data.alertId,
      );
      // An edit moved a scheduled alert later under a job that was already due: wait for the new time.
      if (notBefore !== undefined) {
        await job.moveToDelayed(notBefore, token);
        throw new DelayedError();
      }
      // An alert with no recipients (or a digest-only one) completes in the fan-out itself.
      if (state === 'completed') await onCompleted(job.data.alertId);
    },
  };
}
