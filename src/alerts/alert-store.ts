import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../keys';
import { defineScripts } from '../redis-scripts';
import type { Article } from '../article';

export type AlertState = 'queued' | 'sending' | 'paused' | 'completed' | 'failed' | 'cancelled';
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
}

export interface AlertRecord {
  id: string;
  article: Article;
  state: AlertState;
  /** Epoch ms when the alert was stored (the publish request). */
  createdAt: number;
  /** Finished batches a breaker trip made owed again, not yet queued again (see requeue in send-batch). */
  reopen?: { trip: number; batches: BatchRef[] };
}

/** What one hard bounce did, decided with the circuit breaker in one script. */
export type HardBounceVerdict =
  /** Recorded as failed: suppress the address. */
  | { kind: 'suppress' }
  /** This bounce tripped the breaker: the alert is paused, `undo` are the ids to un-suppress, `reopen` the finished batches that owe them. */
  | { kind: 'tripped'; trip: number; undo: number[]; reopen: BatchRef[] }
  /** The alert is no longer sending (paused, cancelled): nothing recorded, the recipient is still owed. */
  | { kind: 'held' }
  /** The recipient already had an outcome. */
  | { kind: 'settled' };

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
  // KEYS: alert, sent, failed, skipped, burst, burstBatches. ARGV: outcome, now, 'ids' or 'count',
  // ids... Returns the ids recorded now (those with no outcome before), or only how many: the sent
  // ledger writes thousands a second and needs no list back.
  kilatRecordOutcome: {
    keys: 6,
    lua: `
local target = ({sent = KEYS[2], failed = KEYS[3], skipped = KEYS[4]})[ARGV[1]]
local out = {}
for i = 4, #ARGV do
  local id = tonumber(ARGV[i])
  if redis.call('GETBIT', KEYS[2], id) == 0 and redis.call('GETBIT', KEYS[3], id) == 0 and redis.call('GETBIT', KEYS[4], id) == 0 then
    redis.call('SETBIT', target, id, 1)
    out[#out + 1] = ARGV[i]
  end
end
local n = #out
if n > 0 then
  redis.call('HINCRBY', KEYS[1], ARGV[1], n)
  if ARGV[1] == 'sent' then
    redis.call('HSETNX', KEYS[1], 'firstSentAt', ARGV[2])
    local counts = redis.call('HMGET', KEYS[1], 'breakerScore', 'relayRun')
    -- A delivery ends a run of relay refusals (kilatRelayRefusal).
    if counts[2] and counts[2] ~= '0' then redis.call('HSET', KEYS[1], 'relayRun', 0) end
    -- Deliveries pay the breaker's count back down; at zero its burst of hard bounces was normal.
    local score = tonumber(counts[1] or '0')
    if score > 0 then
      score = math.max(0, score - n)
      redis.call('HSET', KEYS[1], 'breakerScore', score)
      if score == 0 then redis.call('DEL', KEYS[5], KEYS[6]) end
    end
  end
end
if ARGV[3] == 'count' then return n end
return out
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
  // KEYS: alert, sent, failed, skipped, burst, burstBatches, batchesDone, reopened, unbounced.
  // ARGV: id, batchKey, batchJson, limit, reason ('{n}' is replaced by the count), now.
  // The circuit breaker: each hard bounce adds one to breakerScore, each delivery takes one off
  // (kilatRecordOutcome). The bounces since the score was last zero are the burst. When the score
  // reaches the limit, so many addresses failing with hardly a delivery between them is the relay,
  // not the readers: the alert pauses, the burst is made owed again (its suppressions are undone by
  // the caller) and finished batches that hold burst recipients are reopened.
  kilatHardBounce: {
    keys: 9,
    lua: `
if redis.call('HGET', KEYS[1], 'state') ~= 'sending' then return {'held'} end
local id = tonumber(ARGV[1])
if redis.call('GETBIT', KEYS[2], id) == 1 or redis.call('GETBIT', KEYS[3], id) == 1 or redis.call('GETBIT', KEYS[4], id) == 1 then return {'settled'} end
redis.call('SETBIT', KEYS[3], id, 1)
redis.call('HINCRBY', KEYS[1], 'failed', 1)
redis.call('SADD', KEYS[5], ARGV[1])
redis.call('HSET', KEYS[6], ARGV[2], ARGV[3])
redis.call('SREM', KEYS[9], ARGV[1])
local score = redis.call('HINCRBY', KEYS[1], 'breakerScore', 1)
if score < tonumber(ARGV[4]) then return {'suppress'} end
local ids = redis.call('SMEMBERS', KEYS[5])
for _, m in ipairs(ids) do
  redis.call('SETBIT', KEYS[3], tonumber(m), 0)
  redis.call('SADD', KEYS[9], m)
end
redis.call('HINCRBY', KEYS[1], 'failed', -#ids)
local reopen = {}
local batches = redis.call('HGETALL', KEYS[6])
for i = 1, #batches, 2 do
  if redis.call('SISMEMBER', KEYS[7], batches[i]) == 1 then
    redis.call('SADD', KEYS[8], batches[i])
    reopen[#reopen + 1] = batches[i + 1]
  end
end
local trip = redis.call('HINCRBY', KEYS[1], 'breakerTrips', 1)
local reason = string.gsub(ARGV[5], '{n}', tostring(#ids))
redis.call('HSET', KEYS[1], 'state', 'paused', 'pausedFrom', 'sending', 'pausedAt', ARGV[6], 'pauseReason', reason, 'pausedBy', 'kilat', 'breakerScore', 0)
local reopenJson = '[' .. table.concat(reopen, ',') .. ']'
if #reopen > 0 then redis.call('HSET', KEYS[1], 'reopen', reopenJson, 'reopenTrip', trip) end
redis.call('DEL', KEYS[5], KEYS[6])
return {'tripped', tostring(trip), table.concat(ids, ','), reopenJson}
`,
  },
  // KEYS: alert. ARGV: limit, reason, now. One more recipient the relay refused for its own reasons
  // (a 5.7.x policy answer, a 5xx after DATA); a delivery resets the run (kilatRecordOutcome). At
  // the limit, across every batch of the alert, it is the relay, not those recipients: pause.
  // Returns 'paused' (this call paused it), 'counted', or 'held' (the alert is not sending).
  kilatRelayRefusal: {
    keys: 1,
    lua: `
if redis.call('HGET', KEYS[1], 'state') ~= 'sending' then return 'held' end
if redis.call('HINCRBY', KEYS[1], 'relayRun', 1) < tonumber(ARGV[1]) then return 'counted' end
redis.call('HSET', KEYS[1], 'state', 'paused', 'pausedFrom', 'sending', 'pausedAt', ARGV[3], 'pauseReason', ARGV[2], 'pausedBy', 'kilat', 'relayRun', 0)
return 'paused'
`,
  },
  // KEYS: alert, deferring. ARGV: batchKey, n. A batch's recipients deferred at its latest attempt
  // (0: none any more). Their sum is how many the relay is deferring right now, alert-wide.
  kilatNoteDeferrals: {
    keys: 2,
    lua: `
if tonumber(ARGV[2]) > 0 then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) else redis.call('HDEL', KEYS[2], ARGV[1]) end
return 1
`,
  },
  // KEYS: alert, deferring. ARGV: batchKey, n, min, reason ('{d}' and '{sent}' are filled in), now.
  // n recipients of a batch are still deferred at its last attempt. If the recipients deferred right
  // now across the alert (at least min) outnumber its deliveries, the relay is deferring, not the
  // mailboxes: pause, and they stay owed. Returns 'paused', 'soft' (mailboxes: soft bounces) or 'held'.
  kilatDeferredAtLast: {
    keys: 2,
    lua: `
if redis.call('HGET', KEYS[1], 'state') ~= 'sending' then return 'held' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local d = 0
for _, v in ipairs(redis.call('HVALS', KEYS[2])) do d = d + tonumber(v) end
local sent = tonumber(redis.call('HGET', KEYS[1], 'sent') or '0')
if d < tonumber(ARGV[3]) or d <= sent then
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 'soft'
end
local reason = string.gsub(string.gsub(ARGV[4], '{d}', tostring(d)), '{sent}', tostring(sent))
redis.call('HSET', KEYS[1], 'state', 'paused', 'pausedFrom', 'sending', 'pausedAt', ARGV[5], 'pauseReason', reason, 'pausedBy', 'kilat')
return 'paused'
`,
  },
  // KEYS: alert. ARGV: trip. The reopened batches of that trip are queued again.
  kilatReopenQueued: {
    keys: 1,
    lua: `
if redis.call('HGET', KEYS[1], 'reopenTrip') == ARGV[1] then redis.call('HDEL', KEYS[1], 'reopen', 'reopenTrip') end
return 1
`,
  },
  // KEYS: alert, batchesDone, reopened. ARGV: batchKey, adjustment, now.
  // A batch finishes once: its correction to the planned total (recipients filtered out by topic,
  // or who left or joined the range since the fan-out) applies once however often it is retried.
  // A paused alert's batch does not finish: it runs again after resume (a breaker trip may have
  // made some of its recipients owed again). A reopened batch counts as not done until it finishes again.
  kilatFinishBatch: {
    keys: 3,
    lua: `
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'paused' then return state end
if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'adjust', tonumber(ARGV[2]))
end
redis.call('SREM', KEYS[3], ARGV[1])
if state == 'sending' and redis.call('HGET', KEYS[1], 'fanoutDone') == '1'
   and redis.call('SCARD', KEYS[2]) - redis.call('SCARD', KEYS[3]) >= tonumber(redis.call('HGET', KEYS[1], 'batches')) then
  redis.call('HSET', KEYS[1], 'state', 'completed', 'completedAt', ARGV[3])
  return 'completed'
end
return state
`,
  },
  // KEYS: alert, batchesDone, reopened. ARGV: planned, batches, now.
  kilatFanoutDone: {
    keys: 3,
    lua: `
redis.call('HSET', KEYS[1], 'planned', ARGV[1], 'batches', ARGV[2], 'fanoutDone', '1')
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'sending' and redis.call('SCARD', KEYS[2]) - redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[2]) then
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
  // KEYS: alert, batchesDone, reopened. ARGV: action, now, reason. Returns {result, state}: result is
  // 'changed', 'same' (already there), 'conflict' or 'missing'. Resume re-runs the completion check,
  // since the last batch may have finished while the alert was paused. 'autopause' is Kilat pausing
  // an alert itself (the relay refused it) with a reason for the operator.
  kilatControl: {
    keys: 3,
    lua: `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing', ''} end
local action = ARGV[1]
if action == 'pause' or action == 'autopause' then
  if state == 'paused' then return {'same', state} end
  if state ~= 'queued' and state ~= 'sending' then return {'conflict', state} end
  redis.call('HSET', KEYS[1], 'state', 'paused', 'pausedFrom', state, 'pausedAt', ARGV[2])
  if action == 'autopause' then
    redis.call('HSET', KEYS[1], 'pausedBy', 'kilat', 'pauseReason', ARGV[3])
  else
    redis.call('HSET', KEYS[1], 'pausedBy', 'operator')
    redis.call('HDEL', KEYS[1], 'pauseReason')
  end
  return {'changed', 'paused'}
elseif action == 'resume' then
  if state == 'queued' or state == 'sending' then return {'same', state} end
  if state ~= 'paused' then return {'conflict', state} end
  local to = redis.call('HGET', KEYS[1], 'pausedFrom') or 'sending'
  redis.call('HSET', KEYS[1], 'state', to)
  redis.call('HDEL', KEYS[1], 'pausedFrom', 'pausedAt', 'pausedBy', 'pauseReason')
  if to == 'sending' and redis.call('HGET', KEYS[1], 'fanoutDone') == '1'
     and redis.call('SCARD', KEYS[2]) - redis.call('SCARD', KEYS[3]) >= tonumber(redis.call('HGET', KEYS[1], 'batches')) then
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
  // KEYS: alert. ARGV: reason, now. An alert that cannot be rendered stops for good; a finished or
  // cancelled one stays as it is. Returns 1 when this call failed it.
  kilatMarkFailed: {
    keys: 1,
    lua: `
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'queued' and state ~= 'sending' and state ~= 'paused' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'failed', 'error', ARGV[1], 'failedAt', ARGV[2])
redis.call('HDEL', KEYS[1], 'pausedFrom')
return 1
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
    const [article, state, createdAt, reopen, reopenTrip] = await this.redis.hmget(this.keys.alert(id), 'article', 'state', 'createdAt', 'reopen', 'reopenTrip');
    if (!article || !state) return undefined;
    return {
      id,
      article: JSON.parse(article) as Article,
      state: state as AlertState,
      createdAt: Number(createdAt ?? 0),
      ...(reopen ? { reopen: { trip: Number(reopenTrip), batches: JSON.parse(reopen) as BatchRef[] } } : {}),
    };
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
      ...(h.state === 'paused' ? { pausedBy: h.pausedBy === 'kilat' ? ('kilat' as const) : ('operator' as const) } : {}),
      cancelledAt: iso(h.cancelledAt),
      failedAt: iso(h.failedAt),
      title: article.title,
      locale: article.locale,
      topics: article.topics,
      articleId: article.id,
      url: article.url,
      ...(statusReason(h) ? { reason: statusReason(h) } : {}),
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
    return this.runControl(id, action, now, '');
  }

  /**
   * Kilat pauses the alert itself (the relay or its configuration refused it), with a reason the
   * operator reads in GET /api/alerts/:id, /admin and `kilat alerts status`. True when this call
   * paused it (so exactly one process reports it); false when it was already paused or finished.
   */
  async autoPause(id: string, reason: string, now = Date.now()): Promise<boolean> {
    const r = await this.runControl(id, 'autopause', now, reason.slice(0, 500));
    return r.ok && r.changed;
  }

  private async runControl(id: string, action: AlertAction | 'autopause', now: number, reason: string): Promise<ControlResult> {
    const [result, state] = (await this.run('kilatControl', [this.keys.alert(id), this.keys.batchesDone(id), this.keys.alertBreaker(id, 'reopened')], [action, now, reason])) as [
      string,
      string,
    ];
    if (result === 'missing') return { ok: false, reason: 'not_found' };
    if (result === 'conflict') return { ok: false, reason: 'conflict', state: state as AlertState };
    return { ok: true, state: state as AlertState, changed: result === 'changed' };
  }

  /** Fails the alert for good with a reason (it cannot be rendered); true when this call failed it. */
  async markFailed(id: string, reason: string, now = Date.now()): Promise<boolean> {
    return (await this.run('kilatMarkFailed', [this.keys.alert(id)], [reason.slice(0, 500), now])) === 1;
  }

  /**
   * One hard bounce, through the circuit breaker (see kilatHardBounce). `reason` is the pause reason
   * should this bounce trip it; `{n}` in it becomes the number of bounces undone.
   */
  async hardBounce(id: string, subscriberId: number, batch: BatchRef, opts: { limit: number; reason: string }, now = Date.now()): Promise<HardBounceVerdict> {
    const keys = [
      this.keys.alert(id),
      ...this.ledgerKeys(id),
      this.keys.alertBreaker(id, 'burst'),
      this.keys.alertBreaker(id, 'burst-batches'),
      this.keys.batchesDone(id),
      this.keys.alertBreaker(id, 'reopened'),
      this.keys.alertBreaker(id, 'unbounced'),
    ];
    const r = (await this.run('kilatHardBounce', keys, [subscriberId, batchKey(batch), JSON.stringify(batch), opts.limit, opts.reason.slice(0, 500), now])) as string[];
    if (r[0] === 'tripped') {
      return { kind: 'tripped', trip: Number(r[1]), undo: r[2] ? r[2].split(',').map(Number) : [], reopen: JSON.parse(r[3]!) as BatchRef[] };
    }
    return { kind: r[0] as 'suppress' | 'held' | 'settled' };
  }

  /** One recipient refused by the relay for its own reasons; see kilatRelayRefusal. */
  async relayRefusal(id: string, limit: number, reason: string, now = Date.now()): Promise<'paused' | 'counted' | 'held'> {
    return (await this.run('kilatRelayRefusal', [this.keys.alert(id)], [limit, reason.slice(0, 500), now])) as 'paused' | 'counted' | 'held';
  }

  /** How many of a batch's recipients its latest attempt left deferred; see kilatNoteDeferrals. */
  async noteDeferrals(id: string, batch: BatchRef, n: number): Promise<void> {
    await this.run('kilatNoteDeferrals', [this.keys.alert(id), this.keys.alertBreaker(id, 'deferring')], [batchKey(batch), n]);
  }

  /** `n` recipients still deferred at a batch's last attempt; see kilatDeferredAtLast. */
  async deferredAtLast(id: string, batch: BatchRef, n: number, min: number, reason: string, now = Date.now()): Promise<'paused' | 'soft' | 'held'> {
    const keys = [this.keys.alert(id), this.keys.alertBreaker(id, 'deferring')];
    return (await this.run('kilatDeferredAtLast', keys, [batchKey(batch), n, min, reason.slice(0, 500), now])) as 'paused' | 'soft' | 'held';
  }

  /** Whether a breaker trip undid this subscriber's bounce after it was recorded (then its suppression must go too). */
  async wasUnbounced(id: string, subscriberId: number): Promise<boolean> {
    return (await this.redis.sismember(this.keys.alertBreaker(id, 'unbounced'), String(subscriberId))) === 1;
  }

  /** The reopened batches of breaker trip `trip` are queued again. */
  async reopenQueued(id: string, trip: number): Promise<void> {
    await this.run('kilatReopenQueued', [this.keys.alert(id)], [trip]);
  }

  /** Records why the alert (or part of it) was not sent; the first reason stays. */
  async setReason(id: string, reason: string): Promise<void> {
    await this.redis.hsetnx(this.keys.alert(id), 'reason', reason.slice(0, 500));
  }

  async setPlanned(id: string, planned: number): Promise<void> {
    await this.redis.hset(this.keys.alert(id), 'planned', String(planned));
  }

  async fanoutDone(id: string, planned: number, batches: number, now = Date.now()): Promise<string> {
    return (await this.run('kilatFanoutDone', [this.keys.alert(id), this.keys.batchesDone(id), this.keys.alertBreaker(id, 'reopened')], [planned, batches, now])) as string;
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
    return (await this.run('kilatRecordOutcome', this.recordKeys(id), [outcome, now, 'count', ...ids])) as number;
  }

  /** Records an outcome for recipients that have none yet; returns those ids (each is recorded once per alert). */
  async recordNew(id: string, outcome: Outcome, ids: number[], now = Date.now()): Promise<number[]> {
    if (ids.length === 0) return [];
    return ((await this.run('kilatRecordOutcome', this.recordKeys(id), [outcome, now, 'ids', ...ids])) as string[]).map(Number);
  }

  private recordKeys(id: string): string[] {
    return [this.keys.alert(id), ...this.ledgerKeys(id), this.keys.alertBreaker(id, 'burst'), this.keys.alertBreaker(id, 'burst-batches')];
  }

  async finishBatch(id: string, batch: BatchRef, settled: number, now = Date.now()): Promise<string> {
    return (await this.run(
      'kilatFinishBatch',
      [this.keys.alert(id), this.keys.batchesDone(id), this.keys.alertBreaker(id, 'reopened')],
      [batchKey(batch), settled - batch.count, now],
    )) as string;
  }

  private ledgerKeys(id: string): [string, string, string] {
    return [this.keys.ledger(id, 'sent'), this.keys.ledger(id, 'failed'), this.keys.ledger(id, 'skipped')];
  }
}
