import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Config } from '../src/config';
import { createCore } from '../src/core';
import type { Logger } from '../src/logger';
import { runFanout } from '../src/alerts/fan-out';
import { enqueueFanout, publishArticle } from '../src/alerts/publish';
import { createFeedWatcher } from '../src/newsroom/feed-watcher';
import { parseAllowList } from '../src/newsroom/fetch-content';
import { sendDailyDigest } from '../src/newsroom/daily-digest';
import { createDigestRenderer } from '../src/mail/render-digest';
import { DigestPreferences } from '../src/subscribers/digest-preferences';
import { loadCatalog } from '../src/i18n';
import { templatesDir } from '../src/paths';
import { createBatchSender, RetryableBatchError } from '../src/alerts/send-batch';
import { classifySendError, relayReason } from '../src/mail/transport';
import { createSendRate } from '../src/alerts/send-rate';
import { createMailer, senderOptions } from '../src/mail/mailer';
import { createTransportFromConfig } from '../src/mail/create-transport';
import { createRendererFromConfig } from '../src/mail/create-renderer';
import { TemplateError } from '../src/mail/render';
import { createCompletionHandler } from '../src/ops/alert-completion';
import { MetricsRecorder } from '../src/ops/metrics-recorder';
import { createWebhookEmitter, deliverWebhook, noWebhooks, type WebhookJob } from '../src/ops/webhooks';
import { batchJobId, QUEUE_NAMES, type BatchJob, type ConfirmationJob, type FanoutJob, type TickJob } from '../src/queues';
import { createRedis } from '../src/redis';
import { sendConfirmation } from '../src/subscribers/send-confirmation';

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

/** How often a batch of a paused alert checks whether it was resumed. */
const PAUSED_RECHECK_MS = 1000;

const FEED_SCHEDULER = 'feed-poll';
const DIGEST_SCHEDULER = 'daily-digest';

export interface RunningWorkers {
  close(): Promise<void>;
}

/** Wires one worker process: BullMQ workers for fan-out, batches and confirmations. */
export async function startWorkers(config: Config, logger: Logger): Promise<RunningWorkers> {
  const core = createCore(config, logger, 'worker');
  const transport = createTransportFromConfig(config);
  const renderer = createRendererFromConfig(config);
  const digestPrefs = new DigestPreferences({ redis: core.redis, keys: core.keys });
  const recorder = new MetricsRecorder({ redis: core.redis, keys: core.keys });
  const webhooks = config.webhookUrl ? createWebhookEmitter(core.queues.webhooks, logger, config.webhookRetryBaseMs) : noWebhooks;
  const onCompleted = createCompletionHandler({ redis: core.redis, keys: core.keys, alerts: core.alerts, recorder, webhooks, logger });
  const mailer = createMailer({ renderer, transport, ...senderOptions(config) });
  const sender = createBatchSender({
    alerts: core.alerts,
    subscribers: core.subscribers,
    mailer,
    links: core.links,
    sendConcurrency: config.sendConcurrency,
    sendRate: config.sendRatePerSec > 0 ? createSendRate({ redis: core.redis, key: core.keys.sendRate(), perSecond: config.sendRatePerSec }) : undefined,
    logger,
    observer: recorder,
    digestAmong: (shard, ids) => digestPrefs.digestAmong(shard, ids),
    softBounceLimit: config.softBounceLimit,
    alertMaxAgeSeconds: config.alertMaxAgeSeconds,
    async onSelfPause(alertId, cause) {
      await recorder.selfPaused(cause);
      await webhooks.emit('alert.paused', { alertId });
    },
    // Reopened batches run as new jobs (the finished ones keep their ids); each trip has its own.
    async requeue(alertId, trip, batches) {
      await core.queues.send.addBulk(batches.map((batch) => ({ name: 'batch', data: { alertId, batch }, opts: { jobId: `${batchJobId(alertId, batch)}-t${trip}` } })));
    },
  });
  // Workers block on their own connection; BullMQ requires maxRetriesPerRequest: null there.
  const connection = createRedis(config.redisUrl!, 'worker');
  connection.on('error', () => undefined);
  const prefix = core.keys.queuePrefix;

  const fanout = new Worker<FanoutJob>(
    QUEUE_NAMES.fanout,
    async (job) => {
      await runFanout(
        {
          alerts: core.alerts,
          subscribers: core.subscribers,
          queues: core.queues,
          batchSize: config.batchSize,
          logger,
          // Render while the batches are being queued; a template error surfaces in the first batch.
          onStart: (alert) => void sender.prepare(alert).catch(() => undefined),
        },
        job.data.alertId,
      );
      // An alert with no recipients (or a digest-only one) completes in the fan-out itself.
      if ((await core.alerts.get(job.data.alertId))?.state === 'completed') await onCompleted(job.data.alertId);
    },
    { connection, prefix, concurrency: 2, ...RECOVERY },
  );

  const send = new Worker<BatchJob>(
    QUEUE_NAMES.send,
    async (job: Job<BatchJob>, token?: string) => {
      // Rendering failures end the alert inside the sender (state failed, with the reason); relay
      // failures pause it there. What reaches here is a temporary failure (retried with backoff) or
      // Kilat's own trouble (Redis away), retried the same way.
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
    { connection, prefix, concurrency: config.workerConcurrency, ...RECOVERY },
  );

  const confirmations = new Worker<ConfirmationJob>(
    QUEUE_NAMES.confirmations,
    async (job) => {
      try {
        return await sendConfirmation({ subscribers: core.subscribers, mailer, links: core.links, logger }, job.data.subscriberId);
      } catch (err) {
        if (err instanceof TemplateError) throw new UnrecoverableError(err.message);
        // An address the relay calls unknown will not become known by retrying; anything else (the
        // relay, a mailbox for now) is retried with backoff, and never changes the subscriber.
        if (classifySendError(err).kind === 'recipient') throw new UnrecoverableError((err as Error).message);
        throw err;
      }
    },
    { connection, prefix, concurrency: 8, ...RECOVERY },
  );

  const extra: Worker[] = [];
  if (config.webhookUrl && config.webhookSecret) {
    const delivery = { url: config.webhookUrl, secret: config.webhookSecret, alerts: core.alerts, subscribers: core.subscribers };
    extra.push(
      new Worker<WebhookJob>(QUEUE_NAMES.webhooks, async (job) => deliverWebhook(delivery, job.data), { connection, prefix, concurrency: 4, ...RECOVERY }),
    );
  }

  // Feeds: a BullMQ job scheduler makes one "poll" job per interval, so however many worker
  // processes run, one of them polls (and a Redis lock per feed guards against overlapping ticks).
  // The daily digest: a cron-pattern scheduler in TIME_ZONE; one worker process takes each tick.
  const digestDeps = {
    redis: core.redis,
    keys: core.keys,
    alerts: core.alerts,
    subscribers: core.subscribers,
    digestPrefs,
    mailer,
    renderDigest: createDigestRenderer({ catalog: loadCatalog(), templatesDir, siteName: config.siteName, timeZone: config.timeZone }),
    links: core.links,
    logger,
    timeZone: config.timeZone,
    sendConcurrency: config.sendConcurrency,
  };
  await core.queues.digest.upsertJobScheduler(
    DIGEST_SCHEDULER,
    { pattern: `${config.digestTime.minute} ${config.digestTime.hour} * * *`, tz: config.timeZone },
    { name: 'digest', data: {} },
  );
  extra.push(new Worker<TickJob>(QUEUE_NAMES.digest, async () => sendDailyDigest(digestDeps), { connection, prefix, concurrency: 1 }));

  if (config.feeds.length > 0) {
    const watcher = createFeedWatcher({
      redis: core.redis,
      keys: core.keys,
      feeds: config.feeds,
      topics: config.topics,
      publish: (input) => publishArticle({ alerts: core.alerts, queues: core.queues, defaultLocale: config.defaultLocale, sitePatterns: config.articleBoilerplate }, input),
      logger,
      timeoutMs: config.feedTimeoutMs,
      allow: parseAllowList(config.fetchAllowHosts),
    });
    await core.queues.feeds.upsertJobScheduler(FEED_SCHEDULER, { every: config.feedIntervalSeconds * 1000 }, { name: 'poll', data: {} });
    extra.push(new Worker<TickJob>(QUEUE_NAMES.feeds, async () => watcher.pollAll(), { connection, prefix, concurrency: 1 }));
  } else {
    await core.queues.feeds.removeJobScheduler(FEED_SCHEDULER);
  }

  for (const w of [fanout, send, confirmations, ...extra]) {
    w.on('error', (err) => logger.error({ queue: w.name, err: err.message }, 'worker error'));
    // Retries are expected; only the attempt that gives up is worth an error line.
    w.on('failed', (job, err) => {
      if (!job) return;
      const final = job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError;
      const fields = { queue: w.name, jobId: job.id, alertId: (job.data as { alertId?: string }).alertId, attempt: job.attemptsMade, err: err.message };
      if (final) logger.error(fields, 'job failed for good');
      else if (!(err instanceof RetryableBatchError)) logger.debug(fields, 'job failed; will retry');
    });
  }

  // An alert stored but never enqueued (the API died in between) is picked up here.
  for (const id of await core.alerts.recentIds(50)) {
    const alert = await core.alerts.get(id);
    if (alert?.state === 'queued') await enqueueFanout(core.queues, id);
  }

  await sender.warmUp().catch((err: Error) => logger.warn({ err: err.message }, 'warm-up render failed'));
  for (const warning of config.smtp?.warnings ?? []) logger.warn(warning);
  // The same check as `kilat smtp check`, in the background: one clear line when the relay is
  // unusable (alerts would pause with the same reason), then connections opened ahead of the first
  // alert. Connections the relay later closes for idleness are reopened on demand.
  if (transport.verify) {
    const relay = `${config.smtp!.host}:${config.smtp!.port}`;
    void transport.verify().then(
      (info) => {
        logger.info({ relay, tls: info.tls?.protocol ?? 'none', auth: info.authenticated?.method ?? 'none', maxSize: info.maxSize }, 'SMTP relay ready');
        return transport.warm?.();
      },
      (err: unknown) => logger.error({ relay, reason: relayReason(err) }, `SMTP relay unusable: ${relayReason(err)}`),
    );
  }
  logger.info({ transport: transport.kind, concurrency: config.workerConcurrency }, 'worker started');
  return {
    async close() {
      const started = Date.now();
      await Promise.all([fanout.close(), send.close(), confirmations.close(), ...extra.map((w) => w.close())]);
      logger.info({ ms: Date.now() - started }, 'in-flight jobs finished; closing connections');
      await recorder.close();
      await transport.close();
      connection.disconnect();
      await core.close();
    },
  };
}
