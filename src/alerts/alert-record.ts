import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Article } from '../article';
import type { Keys } from '../keys';
import { ScriptedStore } from '../redis-scripts';
import { outcomesFrom, type AlertOutcomes } from './alert-outcomes';
import { ALERT_SCRIPTS } from './alert-scripts';
import { batchKey, type BatchRef } from './delivery-ledger';

export type AlertState = 'scheduled' | 'queued' | 'sending' | 'paused' | 'completed' | 'failed' | 'cancelled';

/**
 * A follow-up alert: `updates` the alert it updates, `thread` the story's alerts it threads under,
 * oldest (the root) first and `updates` last, `subject` the root's subject, which every alert of
 * the story keeps so that mail clients group them (see the README, Follow-up alerts).
 */
export interface FollowUp {
  updates: string;
  thread: string[];
  subject: string;
}

/** At most this many earlier alerts in a follow-up's References: the root and the latest ones. */
export const THREAD_MAX = 10;
export type AlertAction = 'pause' | 'resume' | 'cancel';

/** The reason an operator should see for the alert's current state (see AlertStatus.reason). */
function statusReason(h: Record<string, string>): string | undefined {
  if (h.state === 'paused' && h.pauseReason) return h.pauseReason;
  if (h.state === 'failed' && h.error) return h.error;
  return h.reason;
}

/** What a pause/resume/cancel did: `changed` false when the alert was already there (idempotent). */
export type ControlResult =
  | { ok: true; state: AlertState; changed: boolean }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'conflict'; state: AlertState };
export interface AlertStatus {
  id: string;
  state: AlertState;
  total: number;
  sent: number;
  failed: number;
  skipped: number;
  createdAt: string;
  /** A scheduled alert's time (and, once it fired, the time it was due). */
  publishAt?: string;
  /** A follow-up: the alert it updates and the story's first alert. */
  updates?: string;
  threadRoot?: string;
  firstSentAt?: string;
  completedAt?: string;
  pausedAt?: string;
  /** Who paused it: an operator, or Kilat itself because the relay (or the breaker) stopped it. */
  pausedBy?: 'operator' | 'kilat';
  cancelledAt?: string;
  failedAt?: string;
  title: string;
  locale: string;
  topics: string[];
  articleId?: string;
  url?: string;
  /**
   * Why the alert is not going out, in plain words: while Kilat has paused it, what the relay did;
   * when it failed, why it could not be rendered; otherwise why a guard skipped recipients (stale).
   */
  reason?: string;
  /** What readers did after it arrived: unsubscribes, bounces, complaints, clicks (see AlertOutcomes). */
  outcomes: AlertOutcomes;
}

export interface AlertRecord {
  id: string;
  article: Article;
  state: AlertState;
  /** Epoch ms when the alert was stored (the publish request). */
  createdAt: number;
  /** Epoch ms a scheduled alert is (or was) due. */
  publishAt?: number;
  followUp?: FollowUp;
  /** Finished batches a breaker trip made owed again, not yet queued again (see requeue in send-batch). */
  reopen?: { trip: number; batches: BatchRef[] };
  /** How many times it was resumed: a batch run keeps the count it read, see DeliveryLedger. */
  resumes: number;
}

const RECENT_ALERTS = 200;

export interface CreateOptions {
  /** Epoch ms: the alert is held in `scheduled` until then. */
  publishAt?: number;
  /** The publish request as given, kept while scheduled so that an edit can be validated like a publish. */
  input?: object;
  followUp?: FollowUp;
}

/**
 * The alert record: one hash per alert (`{a<id>}:alert`) and its state machine (scheduled, queued,
 * sending, paused, completed, failed, cancelled; each move is a script in commands/), the article dedupe
 * index and the recent-alerts list. Whether the alert is complete is decided in one place,
 * commands/includes/complete-if-done.lua, by the three scripts that can complete it.
 */
export class AlertRecords extends ScriptedStore {
  constructor(deps: { redis: Redis; keys: Keys }) {
    super(deps, ALERT_SCRIPTS);
  }

  /** The identity that makes a second publish of the same article a duplicate. */
  static dedupeKey(article: Article, updates?: string): string {
    // An update usually keeps the story's id and URL: it is a duplicate only of the same update.
    if (updates) return `update:${updates}:${AlertRecords.dedupeKey(article)}`;
    if (article.id) return `id:${article.id}`;
    if (article.url) return `url:${article.url}`;
    return `content:${createHash('sha256').update(`${article.title}\n${article.paragraphs.join('\n')}`).digest('base64url')}`;
  }

  /**
   * Creates the alert unless the article already has one. The record is written before the
   * dedupe index claims it, so the index never points at a missing alert.
   */
  async create(article: Article, now = Date.now(), opts: CreateOptions = {}): Promise<{ id: string; created: boolean }> {
    const id = String(await this.redis.incr(this.keys.alertCounter()));
    const dedupe = AlertRecords.dedupeKey(article, opts.followUp?.updates);
    await this.redis.hset(this.keys.alert(id), {
      article: JSON.stringify(article),
      state: opts.publishAt !== undefined ? 'scheduled' : 'queued',
      createdAt: String(now),
      dedupe,
      ...(opts.publishAt !== undefined ? { publishAt: String(opts.publishAt), input: JSON.stringify(opts.input ?? {}) } : {}),
      ...(opts.followUp ? { updates: opts.followUp.updates, thread: opts.followUp.thread.join(','), threadSubject: opts.followUp.subject } : {}),
    });
    const claimed = await this.redis.hsetnx(this.keys.articleIndex(), dedupe, id);
    if (claimed === 0) {
      const existing = await this.redis.hget(this.keys.articleIndex(), dedupe);
      await this.redis.del(this.keys.alert(id));
      return { id: existing!, created: false };
    }
    // An article with an id also claims its url, so a later publish of the same url without an id is
    // recognised; a later one with another id is a different article and is not.
    if (article.id && article.url && !opts.followUp) await this.redis.hsetnx(this.keys.articleIndex(), `url:${article.url}`, id);
    await this.redis.multi().lpush(this.keys.recentAlerts(), id).ltrim(this.keys.recentAlerts(), 0, RECENT_ALERTS - 1).exec();
    return { id, created: true };
  }

  async get(id: string): Promise<AlertRecord | undefined> {
    const [article, state, createdAt, reopen, reopenTrip, publishAt, updates, thread, threadSubject, resumes] = await this.redis.hmget(
      this.keys.alert(id),
      'article',
      'state',
      'createdAt',
      'reopen',
      'reopenTrip',
      'publishAt',
      'updates',
      'thread',
      'threadSubject',
      'resumes',
    );
    if (!article || !state) return undefined;
    return {
      id,
      article: JSON.parse(article) as Article,
      state: state as AlertState,
      createdAt: Number(createdAt ?? 0),
      resumes: Number(resumes ?? 0),
      ...(publishAt ? { publishAt: Number(publishAt) } : {}),
      ...(updates && thread ? { followUp: { updates, thread: thread.split(','), subject: threadSubject ?? '' } } : {}),
      ...(reopen ? { reopen: { trip: Number(reopenTrip), batches: JSON.parse(reopen) as BatchRef[] } } : {}),
    };
  }

  async status(id: string): Promise<AlertStatus | undefined> {
    // Both asked at once (one round trip's wait): the record and the outcome counters beside it.
    const [h, o] = await Promise.all([this.redis.hgetall(this.keys.alert(id)), this.redis.hgetall(this.keys.alertOutcomes(id))]);
    if (!h.article || !h.state) return undefined;
    const outcomes = outcomesFrom(o);
    const article = JSON.parse(h.article) as Article;
    const num = (v: string | undefined) => Number(v ?? 0);
    const iso = (v: string | undefined) => (v ? new Date(Number(v)).toISOString() : undefined);
    return {
      id,
      state: h.state as AlertState,
      total: Math.max(0, num(h.planned) + num(h.adjust)),
      sent: num(h.sent),
      failed: num(h.failed),
      skipped: num(h.skipped),
      createdAt: iso(h.createdAt)!,
      ...(h.publishAt ? { publishAt: iso(h.publishAt) } : {}),
      ...(h.updates && h.thread ? { updates: h.updates, threadRoot: h.thread.split(',')[0] } : {}),
      firstSentAt: iso(h.firstSentAt),
      completedAt: iso(h.completedAt),
      pausedAt: iso(h.pausedAt),
      ...(h.state === 'paused' ? { pausedBy: h.pausedBy === 'kilat' ? ('kilat' as const) : ('operator' as const) } : {}),
      cancelledAt: iso(h.cancelledAt),
      failedAt: iso(h.failedAt),
      title: article.title,
      locale: article.locale,
      topics: article.topics,
      articleId: article.id,
      url: article.url,
      ...(statusReason(h) ? { reason: statusReason(h) } : {}),
      outcomes,
    };
  }

  /** The publish request a scheduled alert was stored from (what an edit is merged into). */
  async scheduledInput(id: string): Promise<Record<string, unknown> | undefined> {
    const input = await this.redis.hget(this.keys.alert(id), 'input');
    return input ? (JSON.parse(input) as Record<string, unknown>) : undefined;
  }

  /** Replaces a scheduled alert's article and time; a conflict once it is no longer scheduled. */
  async editScheduled(id: string, article: Article, input: object, publishAt: number): Promise<ControlResult> {
    const [result, state] = (await this.run('edit-scheduled', [this.keys.alert(id)], [JSON.stringify(article), JSON.stringify(input), publishAt])) as [string, string];
    if (result === 'missing') return { ok: false, reason: 'not_found' };
    if (result === 'conflict') return { ok: false, reason: 'conflict', state: state as AlertState };
    return { ok: true, state: state as AlertState, changed: true };
  }

  async recentIds(limit = 50): Promise<string[]> {
    return this.redis.lrange(this.keys.recentAlerts(), 0, limit - 1);
  }

  /**
   * queued -> sending; returns false when the alert is missing or already past that. A paused alert
   * still fans out (its batches wait until it is resumed), a cancelled one does not.
   */
  async markSending(id: string, now = Date.now()): Promise<boolean> {
    const state = (await this.run('mark-sending', [this.keys.alert(id)], [now])) as string | null;
    return state === 'queued' || state === 'scheduled' || state === 'sending' || state === 'paused';
  }

  /** The alert's state alone (cheap enough to poll between sends); undefined when it is missing. */
  async state(id: string): Promise<AlertState | undefined> {
    return ((await this.redis.hget(this.keys.alert(id), 'state')) ?? undefined) as AlertState | undefined;
  }

  /**
   * Pause, resume or cancel. Pausing or cancelling a finished alert is a conflict; repeating an
   * action is not (it reports `changed: false`).
   */
  async control(id: string, action: AlertAction, now = Date.now()): Promise<ControlResult> {
    return this.runControl(id, action, now, '');
  }

  /**
   * Kilat pauses the alert itself (the relay or its configuration refused it), with a reason the
   * operator reads in GET /api/alerts/:id, /admin and `kilat alerts status`. True when this call
   * paused it (so exactly one process reports it); false when it was already paused or finished,
   * or was resumed since the run that asks read it (`resumes`, see DeliveryLedger).
   */
  async autoPause(id: string, reason: string, resumes: number, now = Date.now()): Promise<boolean> {
    const r = await this.runControl(id, 'autopause', now, reason.slice(0, 500), resumes);
    return r.ok && r.changed;
  }

  private async runControl(id: string, action: AlertAction | 'autopause', now: number, reason: string, resumes = 0): Promise<ControlResult> {
    const keys = [this.keys.alert(id), this.keys.batchesDone(id), this.keys.alertBreaker(id, 'reopened'), this.keys.alertBreaker(id, 'deferring')];
    const [result, state] = (await this.run('control', keys, [action, now, reason, resumes])) as [
      string,
      string,
    ];
    if (result === 'missing') return { ok: false, reason: 'not_found' };
    if (result === 'conflict') return { ok: false, reason: 'conflict', state: state as AlertState };
    return { ok: true, state: state as AlertState, changed: result === 'changed' };
  }

  /** Fails the alert for good with a reason (it cannot be rendered); true when this call failed it. */
  async markFailed(id: string, reason: string, now = Date.now()): Promise<boolean> {
    return (await this.run('mark-failed', [this.keys.alert(id)], [reason.slice(0, 500), now])) === 1;
  }

  /** Records why the alert (or part of it) was not sent; the first reason stays. */
  async setReason(id: string, reason: string): Promise<void> {
    await this.redis.hsetnx(this.keys.alert(id), 'reason', reason.slice(0, 500));
  }

  async setPlanned(id: string, planned: number): Promise<void> {
    await this.redis.hset(this.keys.alert(id), 'planned', String(planned));
  }

  async fanoutDone(id: string, planned: number, batches: number, now = Date.now()): Promise<string> {
    return (await this.run('fanout-done', [this.keys.alert(id), this.keys.batchesDone(id), this.keys.alertBreaker(id, 'reopened')], [planned, batches, now])) as string;
  }

  async finishBatch(id: string, batch: BatchRef, settled: number, now = Date.now()): Promise<string> {
    return (await this.run(
      'finish-batch',
      [this.keys.alert(id), this.keys.batchesDone(id), this.keys.alertBreaker(id, 'reopened')],
      [batchKey(batch), settled - batch.count, now],
    )) as string;
  }

  /** True for the one caller (of every process) that handles this alert's completion (HSETNX). */
  async claimCompletion(id: string): Promise<boolean> {
    return (await this.redis.hsetnx(this.keys.alert(id), 'completionHandled', '1')) === 1;
  }

  /** Seconds from publish to 90% delivered, kept on the record. */
  async setP90Seconds(id: string, seconds: number): Promise<void> {
    await this.redis.hset(this.keys.alert(id), 'p90Seconds', seconds.toFixed(3));
  }
}
