import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../keys';
import { defineScripts } from '../redis-scripts';
import type { Article } from './article';

export type AlertState = 'queued' | 'sending' | 'paused' | 'completed' | 'failed' | 'cancelled';
export type AlertAction = 'pause' | 'resume' | 'cancel';

/** What a pause/resume/cancel did: `changed` false when the alert was already there (idempotent). */
export type ControlResult =
  | { ok: true; state: AlertState; changed: boolean }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'conflict'; state: AlertState };
export type Outcome = 'sent' | 'failed' | 'skipped';

export interface AlertStatus {
  id: string;
  state: AlertState;
  total: number;
  sent: number;
  failed: number;
  skipped: number;
  createdAt: string;
  firstSentAt?: string;
  completedAt?: string;
  pausedAt?: string;
  cancelledAt?: string;
  title: string;
  locale: string;
  topics: string[];
  articleId?: string;
  url?: string;
  /** Why recipients were not mailed, when a guard stopped the alert (e.g. the article was too old). */
  reason?: string;
}

export interface AlertRecord {
  id: string;
  article: Article;
  state: AlertState;
  /** Epoch ms when the alert was stored (the publish request). */
  createdAt: number;
}

export interface BatchRef {
  shard: number;
  /** Exclusive lower bound of the subscriber-id range. */
  after: number;
  /** Inclusive upper bound of the subscriber-id range. */
  upTo: number;
  /** Recipients the fan-out counted in the range. */
  count: number;
}

export const batchKey = (b: BatchRef) => `${b.shard}:${b.after}:${b.upTo}`;

// All keys of one alert share the {a<id>} hash tag; the ledger is three bitmaps indexed by
// subscriber id (125 KB each per million subscribers), so marking and checking are O(1) each.
const SCRIPTS = {
  // KEYS: alert, sent, failed, skipped. ARGV: outcome, now, ids...
  kilatRecordOutcome: {
    keys: 4,
    lua: `
local target = ({sent = KEYS[2], failed = KEYS[3], skipped = KEYS[4]})[ARGV[1]]
local n = 0
for i = 3, #ARGV do
  local id = tonumber(ARGV[i])
  if redis.call('GETBIT', KEYS[2], id) == 0 and redis.call('GETBIT', KEYS[3], id) == 0 and redis.call('GETBIT', KEYS[4], id) == 0 then
    redis.call('SETBIT', target, id, 1)
    n = n + 1
  end
end
if n > 0 then
  redis.call('HINCRBY', KEYS[1], ARGV[1], n)
  if ARGV[1] == 'sent' then redis.call('HSETNX', KEYS[1], 'firstSentAt', ARGV[2]) end
end
return n
`,
  },
  // KEYS: sent, failed, skipped. ARGV: ids... Returns the ids with no outcome yet.
  kilatUnsettled: {
    keys: 3,
    lua: `
local out = {}
for i = 1, #ARGV do
  local id = tonumber(ARGV[i])
  if redis.call('GETBIT', KEYS[1], id) == 0 and redis.call('GETBIT', KEYS[2], id) == 0 and redis.call('GETBIT', KEYS[3], id) == 0 then
    out[#out + 1] = ARGV[i]
  end
end
return out
`,
  },
  // KEYS: alert, batchesDone. ARGV: batchKey, adjustment, now.
  // A batch finishes once: its correction to the planned total (recipients filtered out by topic,
  // or who left or joined the range since the fan-out) applies once however often it is retried.
  kilatFinishBatch: {
    keys: 2,
    lua: `
if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'adjust', tonumber(ARGV[2]))
end
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'sending' and redis.call('HGET', KEYS[1], 'fanoutDone') == '1'
   and redis.call('SCARD', KEYS[2]) >= tonumber(redis.call('HGET', KEYS[1], 'batches')) then
  redis.call('HSET', KEYS[1], 'state', 'completed', 'completedAt', ARGV[3])
  return 'completed'
end
return state
`,
  },
  // KEYS: alert, batchesDone. ARGV: planned, batches, now.
  kilatFanoutDone: {
    keys: 2,
    lua: `
redis.call('HSET', KEYS[1], 'planned', ARGV[1], 'batches', ARGV[2], 'fanoutDone', '1')
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'sending' and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'state', 'completed', 'completedAt', ARGV[3])
  return 'completed'
end
return state
`,
  },
  // KEYS: alert. ARGV: now. queued -> sending; a paused alert remembers that its fan-out started, so
  // resume puts it back to sending. Returns the state before.
  kilatMarkSending: {
    keys: 1,
    lua: `
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'queued' then
  redis.call('HSET', KEYS[1], 'state', 'sending', 'startedAt', ARGV[1])
elseif state == 'paused' and redis.call('HGET', KEYS[1], 'pausedFrom') == 'queued' then
  redis.call('HSET', KEYS[1], 'pausedFrom', 'sending', 'startedAt', ARGV[1])
end
return state or false
`,
  },
  // KEYS: alert, batchesDone. ARGV: action, now. Returns {result, state}: result is 'changed',
  // 'same' (already there), 'conflict' or 'missing'. Resume re-runs the completion check, since the
  // last batch may have finished while the alert was paused.
  kilatControl: {
    keys: 2,
    lua: `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing', ''} end
local action = ARGV[1]
if action == 'pause' then
  if state == 'paused' then return {'same', state} end
  if state ~= 'queued' and state ~= 'sending' then return {'conflict', state} end
  redis.call('HSET', KEYS[1], 'state', 'paused', 'pausedFrom', state, 'pausedAt', ARGV[2])
  return {'changed', 'paused'}
elseif action == 'resume' then
  if state == 'queued' or state == 'sending' then return {'same', state} end
  if state ~= 'paused' then return {'conflict', state} end
  local to = redis.call('HGET', KEYS[1], 'pausedFrom') or 'sending'
  redis.call('HSET', KEYS[1], 'state', to)
  redis.call('HDEL', KEYS[1], 'pausedFrom', 'pausedAt')
  if to == 'sending' and redis.call('HGET', KEYS[1], 'fanoutDone') == '1'
     and redis.call('SCARD', KEYS[2]) >= tonumber(redis.call('HGET', KEYS[1], 'batches')) then
    redis.call('HSET', KEYS[1], 'state', 'completed', 'completedAt', ARGV[2])
    return {'changed', 'completed'}
  end
  return {'changed', to}
elseif action == 'cancel' then
  if state == 'cancelled' then return {'same', state} end
  if state ~= 'queued' and state ~= 'sending' and state ~= 'paused' then return {'conflict', state} end
  redis.call('HSET', KEYS[1], 'state', 'cancelled', 'cancelledAt', ARGV[2])
  redis.call('HDEL', KEYS[1], 'pausedFrom')
  return {'changed', 'cancelled'}
end
return {'conflict', state}
`,
  },
} as const;

const RECENT_ALERTS = 200;

export class AlertStore {
  private readonly redis: Redis;
  private readonly keys: Keys;
  private readonly run: ReturnType<typeof defineScripts<typeof SCRIPTS>>;

  constructor(deps: { redis: Redis; keys: Keys }) {
    this.redis = deps.redis;
    this.keys = deps.keys;
    this.run = defineScripts(deps.redis, SCRIPTS);
  }

  /** The identity that makes a second publish of the same article a duplicate. */
  static dedupeKey(article: Article): string {
    if (article.id) return `id:${article.id}`;
    if (article.url) return `url:${article.url}`;
    return `content:${createHash('sha256').update(`${article.title}\n${article.paragraphs.join('\n')}`).digest('base64url')}`;
  }

  /**
   * Creates the alert unless the article already has one. The record is written before the
   * dedupe index claims it, so the index never points at a missing alert.
   */
  async create(article: Article, now = Date.now()): Promise<{ id: string; created: boolean }> {
    const id = String(await this.redis.incr(this.keys.alertCounter()));
    const dedupe = AlertStore.dedupeKey(article);
    await this.redis.hset(this.keys.alert(id), {
      article: JSON.stringify(article),
      state: 'queued',
      createdAt: String(now),
      dedupe,
    });
    const claimed = await this.redis.hsetnx(this.keys.articleIndex(), dedupe, id);
    if (claimed === 0) {
      const existing = await this.redis.hget(this.keys.articleIndex(), dedupe);
      await this.redis.del(this.keys.alert(id));
      return { id: existing!, created: false };
    }
    // An article with an id also claims its url, so a later publish of the same url without an id is
    // recognised; a later one with another id is a different article and is not.
    if (article.id && article.url) await this.redis.hsetnx(this.keys.articleIndex(), `url:${article.url}`, id);
    await this.redis.multi().lpush(this.keys.recentAlerts(), id).ltrim(this.keys.recentAlerts(), 0, RECENT_ALERTS - 1).exec();
    return { id, created: true };
  }

  async get(id: string): Promise<AlertRecord | undefined> {
    const [article, state, createdAt] = await this.redis.hmget(this.keys.alert(id), 'article', 'state', 'createdAt');
    if (!article || !state) return undefined;
    return { id, article: JSON.parse(article) as Article, state: state as AlertState, createdAt: Number(createdAt ?? 0) };
  }

  async status(id: string): Promise<AlertStatus | undefined> {
    const h = await this.redis.hgetall(this.keys.alert(id));
    if (!h.article || !h.state) return undefined;
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
      firstSentAt: iso(h.firstSentAt),
      completedAt: iso(h.completedAt),
      pausedAt: iso(h.pausedAt),
      cancelledAt: iso(h.cancelledAt),
      title: article.title,
      locale: article.locale,
      topics: article.topics,
      articleId: article.id,
      url: article.url,
      ...(h.reason ? { reason: h.reason } : {}),
    };
  }

  async recentIds(limit = 50): Promise<string[]> {
    return this.redis.lrange(this.keys.recentAlerts(), 0, limit - 1);
  }

  /**
   * queued -> sending; returns false when the alert is missing or already past that. A paused alert
   * still fans out (its batches wait until it is resumed), a cancelled one does not.
   */
  async markSending(id: string, now = Date.now()): Promise<boolean> {
    const state = (await this.run('kilatMarkSending', [this.keys.alert(id)], [now])) as string | null;
    return state === 'queued' || state === 'sending' || state === 'paused';
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
    const [result, state] = (await this.run('kilatControl', [this.keys.alert(id), this.keys.batchesDone(id)], [action, now])) as [string, string];
    if (result === 'missing') return { ok: false, reason: 'not_found' };
    if (result === 'conflict') return { ok: false, reason: 'conflict', state: state as AlertState };
    return { ok: true, state: state as AlertState, changed: result === 'changed' };
  }

  async markFailed(id: string, reason: string): Promise<void> {
    await this.redis.hset(this.keys.alert(id), 'state', 'failed', 'error', reason.slice(0, 500));
  }

  /** Records why the alert (or part of it) was not sent; the first reason stays. */
  async setReason(id: string, reason: string): Promise<void> {
    await this.redis.hsetnx(this.keys.alert(id), 'reason', reason.slice(0, 500));
  }

  async setPlanned(id: string, planned: number): Promise<void> {
    await this.redis.hset(this.keys.alert(id), 'planned', String(planned));
  }

  async fanoutDone(id: string, planned: number, batches: number, now = Date.now()): Promise<string> {
    return (await this.run('kilatFanoutDone', [this.keys.alert(id), this.keys.batchesDone(id)], [planned, batches, now])) as string;
  }

  /** Ids among `ids` that have no outcome in the ledger yet (what a retried batch still owes). */
  async unsettled(id: string, ids: number[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const out = (await this.run('kilatUnsettled', this.ledgerKeys(id), ids)) as string[];
    return out.map(Number);
  }

  /** Records an outcome for recipients that have none yet; returns how many were new. */
  async record(id: string, outcome: Outcome, ids: number[], now = Date.now()): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.run('kilatRecordOutcome', [this.keys.alert(id), ...this.ledgerKeys(id)], [outcome, now, ...ids])) as number;
  }

  async finishBatch(id: string, batch: BatchRef, settled: number, now = Date.now()): Promise<string> {
    return (await this.run(
      'kilatFinishBatch',
      [this.keys.alert(id), this.keys.batchesDone(id)],
      [batchKey(batch), settled - batch.count, now],
    )) as string;
  }

  private ledgerKeys(id: string): [string, string, string] {
    return [this.keys.ledger(id, 'sent'), this.keys.ledger(id, 'failed'), this.keys.ledger(id, 'skipped')];
  }
}
