import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BatchRef } from './alerts/alert-store';

/** Job payloads carry ids only: never rendered HTML, never an address. */
export interface FanoutJob {
  alertId: string;
}
export interface BatchJob {
  alertId: string;
  batch: BatchRef;
}
export interface ConfirmationJob {
  subscriberId: number;
}

export const QUEUE_NAMES = {
  fanout: 'alert-fanout',
  send: 'alert-send',
  // Its own queue so a confirmation never waits behind the batches of a big alert.
  confirmations: 'confirmations',
} as const;

export interface Queues {
  fanout: Queue<FanoutJob>;
  send: Queue<BatchJob>;
  confirmations: Queue<ConfirmationJob>;
  close(): Promise<void>;
}

const keep = { removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 7 * 24 * 3600 } } satisfies JobsOptions;

export const JOB_OPTIONS = {
  fanout: { ...keep, attempts: 10, backoff: { type: 'exponential', delay: 1000 } },
  send: { ...keep, attempts: 8, backoff: { type: 'exponential', delay: 2000 } },
  confirmations: { ...keep, attempts: 8, backoff: { type: 'exponential', delay: 2000 } },
} satisfies Record<string, JobsOptions>;

export function createQueues(connection: Redis, prefix: string): Queues {
  const fanout = new Queue<FanoutJob>(QUEUE_NAMES.fanout, { connection, prefix, defaultJobOptions: JOB_OPTIONS.fanout });
  const send = new Queue<BatchJob>(QUEUE_NAMES.send, { connection, prefix, defaultJobOptions: JOB_OPTIONS.send });
  const confirmations = new Queue<ConfirmationJob>(QUEUE_NAMES.confirmations, {
    connection,
    prefix,
    defaultJobOptions: JOB_OPTIONS.confirmations,
  });
  return {
    fanout,
    send,
    confirmations,
    async close() {
      await Promise.all([fanout.close(), send.close(), confirmations.close()]);
    },
  };
}

export const fanoutJobId = (alertId: string) => `fanout-${alertId}`;
export const batchJobId = (alertId: string, b: BatchRef) => `batch-${alertId}-${b.shard}-${b.after}-${b.upTo}`;
