import { UnrecoverableError, Worker } from 'bullmq';
import type { ResolvedConfig } from '../src/config';
import { createCore, createMailing } from '../src/core';
import { bootstrap } from '../src/dev/bootstrap';
import type { Logger } from '../src/logger';
import { createBatchSender } from '../src/alerts/send-batch';
import { createSendRate } from '../src/alerts/send-rate';
import { createCompletionHandler } from '../src/alerts/alert-completion';
import { MetricsRecorder } from '../src/ops/metrics-recorder';
import { batchJobId } from '../src/queues';
import { createRedis } from '../src/redis';
import { isRedisUnavailable } from '../src/durable-writes';
import { onShutdown } from '../src/shutdown';
import { batchProcessor } from './processors/batch';
import { confirmationProcessor } from './processors/confirmation';
import { digestProcessor } from './processors/digest';
import { fanoutProcessor } from './processors/fan-out';
import { feedPollProcessor } from './processors/feed-poll';
import type { QueueProcessor } from './processors/processor';
import { webhookProcessor } from './processors/webhook';
import { afterStart } from './start-up';

/**
 * Crash recovery. A job whose worker died (SIGKILL, OOM, lost machine) keeps its lock until
 * lockDuration passes; the stalled check, every stalledInterval, then puts it back in the queue.
 * BullMQ's defaults (30 s each) would leave breaking news up to a minute behind a crash; with these a
 * dead worker's batches are running again within about lockDuration + 2 x stalledInterval (~10 s).
 * The lock is renewed every lockDuration / 2, so only an event loop blocked for 6 s would be
 * mistaken for a crash, and even then the per-recipient ledger keeps the rerun from resending.
 * maxStalledCount allows several crashes in a row before a batch is given up.
 */
const RECOVERY = { lockDuration: 6000, stalledInterval: 2000, maxStalledCount: 5 } as const;

/** BullMQ's words for a job whose lock is no longer this run's. */
const LOCK_LOST = /could not renew lock for job|Missing lock for job|Lock mismatch for job/;

/** How long, on shutdown, writes of what already happened keep waiting for Redis (see src/shutdown.ts's 15 s). */
const SHUTDOWN_WRITE_GRACE_MS = 8000;

export interface RunningWorkers {
  close(): Promise<void>;
}

/** Wires one worker process: the shared objects, then one BullMQ worker per processor in workers/processors/. */
export async function startWorkers(config: ResolvedConfig, logger: Logger): Promise<RunningWorkers> {
  const core = createCore({ config, logger, role: 'worker' });
  const { transport, mailer } = createMailing(core);
  const recorder = new MetricsRecorder({ redis: core.redis, keys: core.keys });
  const onCompleted = createCompletionHandler({ redis: core.redis, keys: core.keys, alerts: core.alerts, recorder, webhooks: core.webhooks, logger });
  const sender = createBatchSender({
    alerts: core.alerts,
    subscribers: core.subscribers,
    mailer,
    links: core.links,
    sendConcurrency: config.sendConcurrency,
    sendRate: config.sendRatePerSec > 0 ? createSendRate({ redis: core.redis, key: core.keys.sendRate(), perSecond: config.sendRatePerSec }) : undefined,
    logger,
    observer: recorder,
    digestAmong: (shard, ids) => core.digestPrefs.digestAmong(shard, ids),
    softBounceLimit: config.softBounceLimit,
    alertMaxAgeSeconds: config.alertMaxAgeSeconds,
    durable: core.durable,
    async onSelfPause(alertId, cause) {
      await recorder.selfPaused(cause);
      await core.webhooks.emit('alert.paused', { alertId });
    },
    // Reopened batches run as new jobs (the finished ones keep their ids); each trip has its own.
    async requeue(alertId, trip, batches) {
      await core.queues.send.addBulk(batches.map((batch) => ({ name: 'batch', data: { alertId, batch }, opts: { jobId: `${batchJobId(alertId, batch)}-t${trip}` } })));
    },
  });

  const table: (QueueProcessor | undefined)[] = [
    fanoutProcessor({ core, sender, onCompleted }),
    batchProcessor({ sender, concurrency: config.workerConcurrency, onCompleted, redis: core.redis }),
    confirmationProcessor({ core, mailer }),
    webhookProcessor(core),
    await digestProcessor({ core, mailer }),
    await feedPollProcessor(core),
  ];
  const processors = table.filter((p) => p !== undefined);

  // Workers block on their own connection; BullMQ requires maxRetriesPerRequest: null there.
  const connection = createRedis(core.redisUrl, 'worker', { failoverWaitMs: config.redisFailoverWaitMs });
  connection.on('error', () => undefined);
  const workers = processors.map((p) => startWorker(p, { connection, prefix: core.keys.queuePrefix, logger }));

  await afterStart({ core, sender, transport });
  logger.info({ transport: transport.kind, concurrency: config.workerConcurrency }, 'worker started');
  return {
    async close() {
      const started = Date.now();
      // In-flight batches may be waiting for Redis to record what they sent: they get a grace
      // (inside the 15 s forced exit), then each write given up is logged with its ids.
      await Promise.all([core.durable.close(SHUTDOWN_WRITE_GRACE_MS), ...workers.map((w) => w.close())]);
      logger.info({ ms: Date.now() - started }, 'in-flight jobs finished; closing connections');
      await recorder.close();
      await transport.close();
      connection.disconnect();
      await core.close();
    },
  };
}

function startWorker(p: QueueProcessor, opts: { connection: ReturnType<typeof createRedis>; prefix: string; logger: Logger }): Worker {
  const { connection, prefix, logger } = opts;
  const w = new Worker(p.queue, (job, token) => p.process(job, token), { connection, prefix, concurrency: p.concurrency, ...(p.recover ? RECOVERY : {}) });
  // Redis away is one event, logged once by the core's failover watch (src/redis-watch.ts); each
  // worker's reconnect attempts are the same event again.
  w.on('error', (err) => {
    if (isRedisUnavailable(err)) return logger.debug({ queue: w.name, err: err.message }, 'worker error');
    // A failover can lose the write that gave a job to this run, or outlast its lock: the job went
    // back to the queue and another run has it (the batch stops itself, see BatchTakenOverError).
    if (LOCK_LOST.test(err.message)) return logger.warn({ queue: w.name, err: err.message }, 'job lock lost; another run has the job');
    logger.error({ queue: w.name, err: err.message }, 'worker error');
  });
  // Retries are expected; only the attempt that gives up is worth an error line.
  w.on('failed', (job, err) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError;
    const fields = { queue: w.name, jobId: job.id, alertId: (job.data as { alertId?: string }).alertId, attempt: job.attemptsMade, err: err.message };
    if (final) logger.error(fields, 'job failed for good');
    else if (!p.quietRetry?.(err)) logger.debug(fields, 'job failed; will retry');
  });
  return w;
}

/** `npm run worker`: one worker process. */
async function main(): Promise<void> {
  const boot = await bootstrap('worker');
  const workers = await startWorkers(boot.config, boot.logger);
  onShutdown(boot.logger, async () => {
    await workers.close();
    await boot.stop();
  });
}

// Run as a process (npm run worker, or forked by npm start); imported, it only exports startWorkers.
if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
