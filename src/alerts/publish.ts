import { z } from 'zod';
import type { Locale } from '../config';
import type { Queues } from '../queues';
import { fanoutJobId } from '../queues';
import type { AlertStore, FollowUp } from './alert-store';
import { THREAD_MAX } from './alert-store';
import { articleSchema, toArticle, type ArticleInput } from '../article';
import type { SitePatterns } from '../newsroom/article-text/site-patterns';

export interface PublishDeps {
  alerts: AlertStore;
  queues: Pick<Queues, 'fanout'>;
  defaultLocale: Locale;
  /** ARTICLE_BOILERPLATE: the operator's site-chrome patterns. */
  sitePatterns?: SitePatterns;
  now?: () => number;
}

export interface PublishResult {
  alertId: string;
  created: boolean;
  /** Set when the alert is held until then (ISO time). */
  publishAt?: string;
}

/** How far ahead an alert may be scheduled: breaking news is not planned a season ahead, and a typo in the year should not park an alert for good. */
export const SCHEDULE_MAX_DAYS = 30;

const alertId = z.string().regex(/^[1-9][0-9]{0,15}$/, 'must be an alert id');

/** The publish request: the article and, optionally, when to send it and which alert it updates. */
export function publishSchema(topics: readonly string[]) {
  return articleSchema(topics).extend({
    publishAt: z.iso.datetime({ offset: true }).optional().describe(`Hold the alert (state scheduled) until this time; later than now, at most ${SCHEDULE_MAX_DAYS} days ahead`),
    updates: alertId.optional().describe('Send this as an update of that alert: its readers get it threaded under the original'),
  });
}

export type PublishInput = ArticleInput & { publishAt?: string; updates?: string };

/** The fields an edit of a scheduled alert may change: everything but the article id and the alert it updates. */
export function editSchema(topics: readonly string[]) {
  return publishSchema(topics).omit({ id: true, updates: true }).partial();
}
export type EditInput = z.infer<ReturnType<typeof editSchema>>;

/** A publish (or an edit) refused for what it asks, with a code the API answers with. */
export class PublishRefused extends Error {
  constructor(
    readonly code: 'publish_at_in_past' | 'publish_at_too_far' | 'update_target_not_found' | 'update_target_scheduled',
    message: string,
  ) {
    super(message);
    this.name = 'PublishRefused';
  }
}

function checkPublishAt(iso: string, now: number): number {
  const at = Date.parse(iso);
  if (at <= now) throw new PublishRefused('publish_at_in_past', `publishAt: ${iso} is not in the future (now is ${new Date(now).toISOString()}); publish without publishAt to send now`);
  if (at > now + SCHEDULE_MAX_DAYS * 86400_000) throw new PublishRefused('publish_at_too_far', `publishAt: ${iso} is more than ${SCHEDULE_MAX_DAYS} days ahead`);
  return at;
}

/** What an update of `updates` threads under (its chain and the story's subject); refused for a missing or unsent alert. */
export async function followUpOf(alerts: AlertStore, updates: string): Promise<FollowUp> {
  const target = await alerts.get(updates);
  if (!target) throw new PublishRefused('update_target_not_found', `updates: there is no alert ${updates}`);
  if (target.state === 'scheduled') throw new PublishRefused('update_target_scheduled', `updates: alert ${updates} has not been sent yet; edit it instead`);
  // An update of an update threads to the story's first alert: the chain is carried along.
  const chain = [...(target.followUp?.thread ?? []), target.id];
  const thread = chain.length > THREAD_MAX ? [chain[0]!, ...chain.slice(chain.length - THREAD_MAX + 1)] : chain;
  return { updates, thread, subject: target.followUp?.subject || target.article.title };
}

/** Stores the alert (or finds the one this article already has) and starts its fan-out, now or at publishAt. */
export async function publishArticle(deps: PublishDeps, input: PublishInput): Promise<PublishResult> {
  const now = (deps.now ?? Date.now)();
  const { publishAt: at, updates, ...articleInput } = input;
  const publishAt = at !== undefined ? checkPublishAt(at, now) : undefined;
  const followUp = updates !== undefined ? await followUpOf(deps.alerts, updates) : undefined;
  const article = toArticle(articleInput, deps.defaultLocale, deps.sitePatterns);
  const { id, created } = await deps.alerts.create(article, now, { publishAt, input: publishAt !== undefined ? input : undefined, followUp });
  // A duplicate is re-enqueued too: the job id makes that a no-op when the first fan-out job exists,
  // and it repairs an alert whose first publish died between storing and enqueueing.
  const stored = created ? publishAt : (await deps.alerts.get(id))?.publishAt;
  await enqueueFanout(deps.queues, id, stored !== undefined ? Math.max(0, stored - now) : undefined);
  return { alertId: id, created, ...(stored !== undefined ? { publishAt: new Date(stored).toISOString() } : {}) };
}

/**
 * A scheduled alert's fan-out is a BullMQ delayed job under the alert's fixed job id: stored in
 * Redis (it survives restarts), taken by exactly one worker, and promoted by the workers' own
 * blocking wait, which sleeps until the earliest delayed job is due (milliseconds late, not a
 * polling interval). The record decides, not the job: mark-sending refuses a job that runs before
 * the record's publishAt (see fan-out), and a cancelled alert is never sent.
 */
export async function enqueueFanout(queues: Pick<Queues, 'fanout'>, alertId: string, delayMs?: number): Promise<void> {
  await queues.fanout.add('fanout', { alertId }, { jobId: fanoutJobId(alertId), ...(delayMs ? { delay: delayMs } : {}) });
}

/** Edits a scheduled alert (article fields and/or publishAt), validated like a publish; moves its job to the new time. */
export async function editScheduled(deps: PublishDeps, id: string, patch: EditInput, topics: readonly string[]): Promise<'changed' | 'not_found' | { conflict: string }> {
  const stored = await deps.alerts.scheduledInput(id);
  const record = await deps.alerts.get(id);
  if (!record) return 'not_found';
  if (record.state !== 'scheduled' || !stored) return { conflict: record.state };
  const now = (deps.now ?? Date.now)();
  const merged = publishSchema(topics).safeParse({ ...stored, ...patch });
  // The stored request was valid and the patch is checked by the caller, so this only fails on a combination.
  if (!merged.success) throw merged.error;
  const publishAt = checkPublishAt(merged.data.publishAt ?? new Date(record.publishAt!).toISOString(), now);
  const { publishAt: _at, updates: _u, ...articleInput } = merged.data;
  const article = toArticle(articleInput, deps.defaultLocale, deps.sitePatterns);
  const r = await deps.alerts.editScheduled(id, article, { ...merged.data, publishAt: new Date(publishAt).toISOString() }, publishAt);
  if (!r.ok) return r.reason === 'not_found' ? 'not_found' : { conflict: r.state };
  await rescheduleFanout(deps.queues, id, Math.max(0, publishAt - now));
  return 'changed';
}

/** Moves the delayed fan-out job; if it is already running (or gone), the record's time still rules. */
async function rescheduleFanout(queues: Pick<Queues, 'fanout'>, id: string, delayMs: number): Promise<void> {
  const job = await queues.fanout.getJob(fanoutJobId(id));
  if (!job) return enqueueFanout(queues, id, delayMs);
  try {
    await job.changeDelay(delayMs);
  } catch {
    // Not delayed any more: it is running, and the fan-out puts itself back to the record's time
    // when that is still ahead (see runFanout).
  }
}
