import type { Core } from '../../src/core';
import { createFeedWatcher } from '../../src/newsroom/feed-watcher';
import { parseAllowList } from '../../src/newsroom/fetch-content';
import { QUEUE_NAMES, type TickJob } from '../../src/queues';
import type { QueueProcessor } from './processor';

const FEED_SCHEDULER = 'feed-poll';
const FEED_ACTOR = { id: 'feed', name: 'feed watcher' };

/**
 * Feeds: a BullMQ job scheduler makes one "poll" job per interval, so however many worker
 * processes run, one of them polls (and a Redis lock per feed guards against overlapping ticks).
 * Without FEEDS the scheduler is removed and there is no worker.
 */
export async function feedPollProcessor(core: Core): Promise<QueueProcessor<TickJob> | undefined> {
  const { config } = core;
  if (config.feeds.length === 0) {
    await core.queues.feeds.removeJobScheduler(FEED_SCHEDULER);
    return undefined;
  }
  const watcher = createFeedWatcher({
    redis: core.redis,
    keys: core.keys,
    feeds: config.feeds,
    topics: config.topics,
    // A feed item that became an alert is in the audit log like any other publish, by the watcher.
    publish: async (input) => {
      const r = await core.publish(input);
      if (r.created) await core.audit.record({ actor: FEED_ACTOR, action: 'alert.publish', target: { alertId: r.alertId }, from: { via: 'feed' } });
      return r;
    },
    logger: core.logger,
    timeoutMs: config.feedTimeoutMs,
    allow: parseAllowList(config.fetchAllowHosts),
  });
  await core.queues.feeds.upsertJobScheduler(FEED_SCHEDULER, { every: config.feedIntervalSeconds * 1000 }, { name: 'poll', data: {} });
  return { queue: QUEUE_NAMES.feeds, concurrency: 1, recover: false, process: async () => watcher.pollAll() };
}
