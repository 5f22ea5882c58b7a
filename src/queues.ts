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
export type WebhookEvent = 'alert.completed' | 'alert.paused' | 'subscriber.confirmed' | 'subscriber.unsubscribed';
/** The body is built when it is delivered, from the ids. */
export interface WebhookJob {
  event: WebhookEvent;
  alertId?: string;
  subscriberId?: number;
  /** When the event happened (ms), fixed at enqueue time so retries send the same. */
  at: number;
  deliveryId: string;
}
/** A scheduled tick (feed poll, daily digest): no payload. */
export type TickJob = Record<string, never>;

export const QUEUE_NAMES = {
  fanout: 'alert-fanout',
  send: 'alert-send',
  // Its own queue so a confirmation never waits behind the batches of a big alert.
  confirmations: 'confirmations',
  webhooks: 'webhooks',
  // Scheduled ticks: one job per interval, so one worker process polls feeds / sends the digest.
  feeds: 'feed-poll',
  digest: 'digest',
} as const;

export interface Queues {
  fanout: Queue<FanoutJob>;
  send: Queue<BatchJob>;
  confirmations: Queue<ConfirmationJob>;
  webhooks: Queue<WebhookJob>;
  feeds: Queue<TickJob>;
  digest: Queue<TickJob>;
  /** Every queue, for metrics and the Bull Board. */
  all(): Queue[];
  close(): Promise<void>;
}

const keep = { removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 7 * 24 * 3600 } } satisfies JobsOptions;

export const JOB_OPTIONS = {
  fanout: { ...keep, attempts: 10, backoff: { type: 'exponential', delay: 1000 } },
  send: { ...keep, attempts: 8, backoff: { type: 'exponential', delay: 2000 } },
  confirmations: { ...keep, attempts: 8, backoff: { type: 'exponential', delay: 2000 } },
  // Receivers go down for minutes: 12 attempts from 5 s doubling reach about 3 hours.
  webhooks: { ...keep, attempts: 12, backoff: { type: 'exponential', delay: 5000 } },
  ticks: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 }, attempts: 1 },
} satisfies Record<string, JobsOptions>;

/** `sendRetryBaseMs` (SEND_RETRY_BASE_MS): the first retry delay of a batch, doubling per attempt. */
export function createQueues(connection: Redis, prefix: string, opts: { sendRetryBaseMs?: number } = {}): Queues {
  const fanout = new Queue<FanoutJob>(QUEUE_NAMES.fanout, { connection, prefix, defaultJobOptions: JOB_OPTIONS.fanout });
  const sendOptions = opts.sendRetryBaseMs ? { ...JOB_OPTIONS.send, backoff: { type: 'exponential', delay: opts.sendRetryBaseMs } } : JOB_OPTIONS.send;
  const send = new Queue<BatchJob>(QUEUE_NAMES.send, { connection, prefix, defaultJobOptions: sendOptions });
  const confirmations = new Queue<ConfirmationJob>(QUEUE_NAMES.confirmations, {
    connection,
    prefix,
    defaultJobOptions: JOB_OPTIONS.confirmations,
  });
  const webhooks = new Queue<WebhookJob>(QUEUE_NAMES.webhooks, { connection, prefix, defaultJobOptions: JOB_OPTIONS.webhooks });
  const feeds = new Queue<TickJob>(QUEUE_NAMES.feeds, { connection, prefix, defaultJobOptions: JOB_OPTIONS.ticks });
  const digest = new Queue<TickJob>(QUEUE_NAMES.digest, { connection, prefix, defaultJobOptions: JOB_OPTIONS.ticks });
  const all = [fanout, send, confirmations, webhooks, feeds, digest] as Queue[];
  // Connection errors are already logged once by the shared Redis client; without a listener
  // BullMQ would print each one again for every queue while Redis is away.
  for (const q of all) q.on('error', () => undefined);
  return {
    fanout,
    send,
    confirmations,
    webhooks,
    feeds,
    digest,
    all: () => all,
    async close() {
      // Queue.close() leaves the job scheduler that upsertJobScheduler created open; close it too
      // (only where one was created: the getter would create one just to close it).
      await Promise.all(
        [feeds, digest].map((q) => (q as unknown as { _jobScheduler?: { close(): Promise<void> } })._jobScheduler?.close()),
      );
      await Promise.all(all.map((q) => q.close()));
    },
  };
}

export const fanoutJobId = (alertId: string) => `fanout-${alertId}`;
export const batchJobId = (alertId: string, b: BatchRef) => `batch-${alertId}-${b.shard}-${b.after}-${b.upTo}`;
