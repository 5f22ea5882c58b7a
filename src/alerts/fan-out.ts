import type { Logger } from '../logger';
import { SUBSCRIBER_SHARDS } from '../keys';
import { batchJobId, type Queues } from '../queues';
import type { SubscriberStore } from '../subscribers/subscriber-store';
import type { AlertRecord, AlertStore, BatchRef } from './alert-store';

export interface FanoutDeps {
  alerts: AlertStore;
  subscribers: SubscriberStore;
  queues: Pick<Queues, 'send'>;
  batchSize: number;
  logger: Logger;
  /** Called once the alert is sending, before its first batch is queued: a chance to pre-render it. */
  onStart?: (alert: AlertRecord) => void;
}

/**
 * Splits an alert's audience into batch jobs. It walks each shard's set of confirmed ids with a
 * cursor, one page per batch, so memory stays flat however many subscribers there are; a batch is an
 * id range, so a retried fan-out produces the same jobs (same job ids) and nothing twice.
 */
export interface FanoutResult {
  batches: number;
  planned: number;
  /**
   * The alert's state when the fan-out ended: 'completed' when it had nobody to send to (or was
   * digest-only), so the caller runs completion without reading the alert again; undefined when
   * there is no such alert.
   */
  state: string | undefined;
  /** A scheduled alert whose time has not come (the job ran early, an edit moved it): run again then (epoch ms). */
  notBefore?: number;
}

export async function runFanout(deps: FanoutDeps, alertId: string): Promise<FanoutResult> {
  const log = deps.logger.child({ alertId });
  const alert = await deps.alerts.get(alertId);
  if (!alert) {
    log.warn('fan-out for a missing alert; nothing to do');
    return { batches: 0, planned: 0, state: undefined };
  }
  if (!(await deps.alerts.markSending(alertId))) {
    const state = await deps.alerts.state(alertId);
    if (state === 'scheduled') {
      const notBefore = (await deps.alerts.get(alertId))?.publishAt;
      log.info({ publishAt: notBefore }, 'scheduled alert is not due yet; fan-out put back to its time');
      return { batches: 0, planned: 0, state, notBefore };
    }
    log.info({ state }, 'alert is no longer queued or sending; fan-out skipped');
    return { batches: 0, planned: 0, state };
  }
  if (alert.article.breaking === false) {
    // Not a breaking story: no alert email; the daily digest picks it up.
    const state = await deps.alerts.fanoutDone(alertId, 0, 0);
    log.info({ state }, 'non-breaking article: digest only, no fan-out');
    return { batches: 0, planned: 0, state };
  }
  deps.onStart?.(alert);
  const locale = alert.article.locale;
  let planned = 0;
  let batches = 0;
  // Round-robin over shards so the first batches start on every shard at once.
  const cursors = Array.from({ length: SUBSCRIBER_SHARDS }, () => 0 as number | undefined);
  while (cursors.some((c) => c !== undefined)) {
    const jobs: { name: string; data: { alertId: string; batch: BatchRef }; opts: { jobId: string } }[] = [];
    // One page of every open shard at once: sixteen queries in flight, not sixteen round trips.
    const pages = await Promise.all(
      cursors.map((after, shard) => (after === undefined ? undefined : deps.subscribers.activeIds(shard, locale, after, '+inf', deps.batchSize))),
    );
    for (let shard = 0; shard < SUBSCRIBER_SHARDS; shard++) {
      const after = cursors[shard];
      const ids = pages[shard];
      if (after === undefined || ids === undefined) continue;
      if (ids.length === 0) {
        cursors[shard] = undefined;
        continue;
      }
      const batch: BatchRef = { shard, after, upTo: ids[ids.length - 1]!, count: ids.length };
      jobs.push({ name: 'batch', data: { alertId, batch }, opts: { jobId: batchJobId(alertId, batch) } });
      cursors[shard] = ids.length < deps.batchSize ? undefined : batch.upTo;
    }
    if (jobs.length > 0) {
      await deps.queues.send.addBulk(jobs);
      batches += jobs.length;
      planned += jobs.reduce((n, j) => n + j.data.batch.count, 0);
      await deps.alerts.setPlanned(alertId, planned);
    }
  }
  const state = await deps.alerts.fanoutDone(alertId, planned, batches);
  log.info({ batches, planned, state }, 'fan-out done');
  return { batches, planned, state };
}
