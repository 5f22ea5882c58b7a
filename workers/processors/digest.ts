import type { Core } from '../../src/core';
import type { Mailer } from '../../src/mail/mailer';
import { createDigestRenderer } from '../../src/mail/render-digest';
import { sendDailyDigest } from '../../src/newsroom/daily-digest';
import { templatesDir } from '../../src/paths';
import { QUEUE_NAMES, type TickJob } from '../../src/queues';
import type { QueueProcessor } from './processor';

const DIGEST_SCHEDULER = 'daily-digest';

export interface DigestProcessorDeps {
  core: Core;
  mailer: Mailer;
}

/**
 * The daily digest: a cron-pattern job scheduler in TIME_ZONE makes one tick a day, and one worker
 * process takes it. A failed tick is not retried (the digest keeps who already got it that day).
 */
export async function digestProcessor({ core, mailer }: DigestProcessorDeps): Promise<QueueProcessor<TickJob>> {
  const { config } = core;
  const deps = {
    redis: core.redis,
    keys: core.keys,
    alerts: core.alerts,
    subscribers: core.subscribers,
    digestPrefs: core.digestPrefs,
    mailer,
    renderDigest: createDigestRenderer({ catalog: core.catalog, templatesDir, siteName: config.siteName, timeZone: config.timeZone }),
    links: core.links,
    logger: core.logger,
    timeZone: config.timeZone,
    sendConcurrency: config.sendConcurrency,
  };
  await core.queues.digest.upsertJobScheduler(
    DIGEST_SCHEDULER,
    { pattern: `${config.digestTime.minute} ${config.digestTime.hour} * * *`, tz: config.timeZone },
    { name: 'digest', data: {} },
  );
  return { queue: QUEUE_NAMES.digest, concurrency: 1, recover: false, process: async () => sendDailyDigest(deps) };
}
