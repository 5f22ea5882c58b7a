import type { Logger } from '../logger';
import { maskAddressesIn, maskEmail } from '../logger';
import type { Mailer } from '../mail/mailer';
import type { MessageTemplate } from '../mail/message-template';
import { sendCopies } from '../mail/send-copies';
import type { SendFailure } from '../mail/transport';
import type { ThreadSlots } from '../mail/slots';
import type { Links } from '../subscribers/links';
import type { Subscriber, SubscriberStore } from '../subscribers/subscriber-store';
import type { AlertRecord, AlertStore, BatchRef } from './alert-store';
import { LOCALES } from '../config';
import type { SendRate } from './send-rate';
import { toArticle, topicsMatch } from '../article';
import type { DurableWrites } from '../durable-writes';

export interface BatchSenderDeps {
  alerts: AlertStore;
  subscribers: SubscriberStore;
  mailer: Mailer;
  links: Links;
  /** Messages in flight at once within one batch. */
  sendConcurrency: number;
  /** The global send rate limit, when SEND_RATE_PER_SEC is set. */
  sendRate?: SendRate;
  logger: Logger;
  /** Which of these ids (one shard) chose the daily digest instead of alerts; optional. */
  digestAmong?: (shard: number, ids: number[]) => Promise<Set<number>>;
  /** Told about each outcome (metrics, delivery curve); optional. */
  observer?: SendObserver;
  /** Temporary failures in a row (across alerts) after which an address is suppressed. */
  softBounceLimit?: number;
  /** An article older than this (seconds) when its batch is due is not sent; 0 or unset = no limit. */
  alertMaxAgeSeconds?: number;
  /** Told once (by the process that did it) when Kilat pauses an alert itself: metrics, webhook. */
  onSelfPause?: (alertId: string, cause: PauseCause, reason: string) => Promise<void> | void;
  /** Queues finished batches again that a breaker trip reopened (their recipients are owed again). */
  requeue?: (alertId: string, trip: number, batches: BatchRef[]) => Promise<void>;
  /**
   * Retries the writes that record what already happened (the relay accepted a message, refused an
   * address) until Redis answers or the process shuts down, instead of failing the batch: its retry
   * would send again to everyone sent but not yet recorded. Without it a write fails the batch.
   */
  durable?: DurableWrites;
  now?: () => number;
}

/**
 * Why Kilat paused an alert by itself: `relay` the relay, the sender or the configuration refused
 * it; `recipients` the circuit breaker saw the relay refuse address after address; `deferrals` the
 * relay deferred most of a batch through every retry.
 */
export type PauseCause = 'relay' | 'recipients' | 'deferrals';

export interface SendObserver {
  sent(alertId: string, latencyMs: number): void;
  failed(alertId: string): void;
  suppressed(alertId: string): void;
}

/** Why an alert is too old to send now, or undefined when it is fresh enough. */
export function staleReason(alert: AlertRecord, maxAgeSeconds: number | undefined, now: number): string | undefined {
  if (!maxAgeSeconds) return undefined;
  // A scheduled alert's own time (the editor chose when it is news); else the article's own time
  // when the publisher gave one, else when it was published to us.
  const published = alert.publishAt ?? (alert.article.publishedAt ? Date.parse(alert.article.publishedAt) : alert.createdAt);
  if (!Number.isFinite(published) || published <= 0) return undefined;
  const age = Math.floor((now - published) / 1000);
  if (age <= maxAgeSeconds) return undefined;
  const what = alert.publishAt !== undefined ? 'scheduled for' : 'published';
  return `stale: the article (${what} ${new Date(published).toISOString()}) was ${age} s old when its batch was due, more than ALERT_MAX_AGE (${maxAgeSeconds} s); not sent`;
}

export interface BatchAttempt {
  /** 1-based attempt number and the most the queue will make. */
  attempt: number;
  maxAttempts: number;
  /**
   * Whether this run still owns its batch (its queue lock is still its own), asked beside the
   * alert's state while it sends. A failover can lose the write that made this run the owner, and
   * then another run takes the batch: this one stops, so the two do not mail the same people.
   */
  owned?: () => Promise<boolean>;
}

export interface BatchResult {
  sent: number;
  failed: number;
  skipped: number;
  /** Recipients still owed after this run (held by a pause, undone by a breaker trip): the batch runs again. */
  retry: number;
  /** The alert's state after the batch; 'paused' means the batch stopped early and is owed again. */
  state: string;
}

/**
 * Records sent recipients in the ledger in small groups instead of one Redis call per message: a
 * write starts as soon as the previous one is back with whatever accumulated meanwhile, so a slow
 * sender still records each message at once and a fast one records tens per call. If the process
 * dies, at most the group in flight is sent again on retry.
 */
function sentLedger(alerts: AlertStore, alertId: string, keep: Keep, received: (ids: number[]) => Promise<void>) {
  let pending: number[] = [];
  let writing: Promise<void> | undefined;
  let recorded = 0;
  let error: unknown;
  const pump = async () => {
    while (pending.length > 0) {
      const ids = pending;
      pending = [];
      // The subscribers' received counts go beside the ledger write, not after it: both commands
      // are on the wire at once, so the group costs one round trip (they live in different hash
      // tags, the alert's and the subscribers' shard, so one script cannot do both on a Cluster).
      // Both are kept through a failover; only the ledger (which decides who is mailed again) waits
      // for a replica, the count is a figure for the newsroom. The count is the one kept write that is
      // not idempotent: a retry after a lost reply may count those copies twice, which is the lesser
      // harm next to failing the batch (its retry would mail them again).
      const [n] = await Promise.all([
        keep('sent ledger', { alertId, outcome: 'sent', subscriberIds: ids }, () => alerts.record(alertId, 'sent', ids), alerts.homeKey(alertId)),
        keep('received counts', { alertId, subscriberIds: ids }, () => received(ids)),
      ]);
      recorded += n;
    }
  };
  const start = () => {
    writing = pump().then(
      () => {
        writing = undefined;
      },
      (err) => {
        error ??= err;
        writing = undefined;
      },
    );
  };
  return {
    add(id: number) {
      pending.push(id);
      if (!writing) start();
    },
    /** Waits for every recorded id to be written; returns how many were new in the ledger. */
    async drain(): Promise<number> {
      while (writing || pending.length > 0) {
        if (!writing) start();
        await writing;
        if (error) throw error;
      }
      if (error) throw error;
      return recorded;
    },
  };
}

/**
 * Runs a write that records what already happened: through DurableWrites when there are any, with
 * `confirmOn` only done once a replica has it (a failover must not lose it, see redis-replicas.ts).
 */
type Keep = <T>(what: string, ids: Record<string, unknown>, write: () => Promise<T>, confirmOn?: string) => Promise<T>;

/** Thrown when a batch must be retried because Redis stopped answering while it sent (all it sent is recorded). */
export class RedisAwayError extends Error {
  constructor(cause: unknown) {
    super(`Redis stopped answering while the batch sent: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'RedisAwayError';
  }
}

/** Thrown when another run took the batch over (see BatchAttempt.owned): this one stopped, all it sent is recorded. */
export class BatchTakenOverError extends Error {
  constructor() {
    super('another run took this batch over (its lock was lost, e.g. in a Redis failover); this run stopped sending');
    this.name = 'BatchTakenOverError';
  }
}

/** Thrown when a batch must be retried for the recipients that failed temporarily. */
export class RetryableBatchError extends Error {
  constructor(readonly pending: number, readonly sample: string) {
    super(`${pending} recipient(s) failed temporarily; last error: ${sample}`);
    this.name = 'RetryableBatchError';
  }
}

export interface BatchSender {
  send(alertId: string, batch: BatchRef, attempt: BatchAttempt): Promise<BatchResult>;
  /** Renders and builds an alert's message ahead of its first batch (the fan-out calls it). */
  prepare(alert: AlertRecord): Promise<void>;
  /** Runs the render and MIME code once at start-up, so the first real alert does not pay for a cold start. */
  warmUp(): Promise<void>;
}

/** An alert's built message; a follow-up also has the one with threading headers. */
interface AlertTemplates {
  plain: MessageTemplate;
  threaded?: MessageTemplate;
}

/**
 * A follow-up's copy for each reader: threaded (In-Reply-To the latest earlier alert of the story
 * this reader got, References all of those, root first) or, for a reader who got none of them, the
 * plain one. Who got what is read from the earlier alerts' sent ledgers, one call per alert per batch.
 */
async function threadingFor(alerts: AlertStore, mailer: Mailer, links: Links, thread: string[], ids: number[]): Promise<(id: number) => ThreadSlots | undefined> {
  const got = await Promise.all(thread.map((a) => alerts.sentAmong(a, ids)));
  return (id) => {
    const earlier = thread.filter((_a, i) => got[i]!.has(id)).map((a) => mailer.messageId(links.messageTag(id, `a${a}`)));
    if (earlier.length === 0) return undefined;
    // Folded after each id: a long chain stays under the 998-character line limit.
    return { IN_REPLY_TO: earlier[earlier.length - 1]!, REFERENCES: earlier.join('\r\n ') };
  };
}

// Rendered and built once per alert per process; batches of the same alert reuse it.
const TEMPLATE_CACHE_SIZE = 16;
// How stale the alert's state may be while a batch sends: a pause or cancel lands within this
// (plus the messages already on the wire), well inside one batch. Short, because a batch sends
// thousands of messages a second; one HGET per batch per interval is nothing beside that.
const STATE_POLL_MS = 20;
// Relay failures in a row (no delivery between them) after which a batch stops sending: the rest
// would fail the same way, and a relay that locks accounts should not see hundreds of logins. The
// same number of recipients refused in a row by the relay's policy, across the alert, pauses it.
const RELAY_RUN_TO_STOP = 3;
// A relay failing only temporarily (refused connections, timeouts, 421) may be restarting: the batch
// retries with backoff, and the alert pauses when this attempt fails too (with the default 2 s base,
// about 15 s after the first failure).
const RELAY_TEMPORARY_PAUSE_ATTEMPT = 4;
// The circuit breaker: hard bounces net of deliveries that pause the alert and undo the burst. Small
// enough that a relay answering 5.1.1 to everyone costs nobody their subscription, whatever the list
// size; large enough that a real list's bounces (a few percent) never reach it.
export const BREAKER_LIMIT = 20;
// Recipients deferred right now across the alert that, when they outnumber its deliveries (and are
// at least this many), are the relay's doing at a batch's last attempt: no soft bounce for anyone
// (see deferred-at-last-2.lua).
const DEFERRAL_MIN = 2;

type RelayFailure = Extract<SendFailure, { kind: 'relay' }>;
/**
 * A permanent refusal inside one recipient's transaction (RCPT, DATA, after the message) may be about
 * that recipient's route: it counts toward the alert's run instead of pausing at once. Everything else
 * (connecting, TLS, the login, MAIL FROM, the size limit) is about the relay as a whole.
 */
const aboutTransaction = (err: unknown, f: RelayFailure) => {
  const stage = (err as { stage?: string }).stage;
  return f.permanent && (stage === 'rcpt' || stage === 'data' || stage === 'message');
};

export function createBatchSender(deps: BatchSenderDeps): BatchSender {
  const templates = new Map<string, Promise<AlertTemplates>>();
  const keep: Keep = (what, ids, write, confirmOn) => (deps.durable ? deps.durable.run(what, ids, write, { confirmOn }) : write());
  /**
   * A batch finished: the alert completes on the last one, so a finish lost in a failover (the old
   * master acknowledged it, then died before its replica had it, while BullMQ's job completion went
   * to the new one) would leave the alert sending for ever. Retried and confirmed like the ledger.
   */
  const finishBatch = (alertId: string, batch: BatchRef, settled: number) =>
    keep('batch finish', { alertId, batch: `${batch.shard}:${batch.after}:${batch.upTo}`, settled }, () => deps.alerts.finishBatch(alertId, batch, settled), deps.alerts.homeKey(alertId));

  function templateFor(alert: AlertRecord): Promise<AlertTemplates> {
    let t = templates.get(alert.id);
    if (!t) {
      const { followUp } = alert;
      t = followUp
        ? deps.mailer.prepareFollowUp(alert.article, alert.article.locale, { subject: followUp.subject })
        : deps.mailer.prepareAlert(alert.article, alert.article.locale).then((plain) => ({ plain }));
      t.catch(() => templates.delete(alert.id));
      templates.set(alert.id, t);
      if (templates.size > TEMPLATE_CACHE_SIZE) templates.delete(templates.keys().next().value!);
    }
    return t;
  }

  /** An alert that cannot be rendered stops at once, with the reason; it never sits in sending retrying. */
  async function failAlert(alertId: string, err: unknown, log: Logger): Promise<BatchResult> {
    const reason = `the alert cannot be rendered: ${maskAddressesIn((err as Error).message ?? String(err)).replace(/\s+/g, ' ').slice(0, 400)}`;
    if (await deps.alerts.markFailed(alertId, reason)) log.error({ reason }, 'alert failed: it cannot be rendered');
    return { sent: 0, failed: 0, skipped: 0, retry: 0, state: 'failed' };
  }

  /** Kilat pauses the alert itself; one process wins, logs one error line and tells the observers. */
  async function selfPause(alertId: string, resumes: number, cause: PauseCause, reason: string, log: Logger, fields: Record<string, unknown> = {}): Promise<string> {
    if (!(await deps.alerts.autoPause(alertId, reason, resumes))) return (await deps.alerts.state(alertId)) ?? 'missing';
    log.error({ cause, reason, ...fields }, `alert paused: ${reason}`);
    await deps.onSelfPause?.(alertId, cause, reason);
    return 'paused';
  }

  async function requeueReopened(alertId: string, reopen: { trip: number; batches: BatchRef[] }): Promise<void> {
    if (!deps.requeue || reopen.batches.length === 0) return;
    await deps.requeue(alertId, reopen.trip, reopen.batches);
    await deps.alerts.reopenQueued(alertId, reopen.trip);
  }

  return {
    async prepare(alert) {
      await templateFor(alert).catch((err: unknown) => failAlert(alert.id, err, deps.logger.child({ alertId: alert.id })));
    },
    async warmUp() {
      for (const locale of LOCALES) {
        const article = toArticle({ title: 'warm-up', body: 'Kilat\n\nwarm-up', topics: [] }, locale);
        const template = await deps.mailer.prepareAlert(article, locale);
        template.personalise({ to: 'warm-up@example.invalid', slots: deps.links.alertSlots(0, '1') });
      }
    },
    async send(alertId, batch, attempt) {
      const log = deps.logger.child({ alertId, batch: `${batch.shard}:${batch.after}:${batch.upTo}` });
      const alert = await deps.alerts.get(alertId);
      if (!alert) {
        log.warn('batch for a missing alert; nothing to do');
        return { sent: 0, failed: 0, skipped: 0, retry: 0, state: 'missing' };
      }
      // A breaker trip reopened finished batches; queue them (again: idempotent) if the process that
      // tripped it died before it could.
      if (alert.reopen) await requeueReopened(alertId, alert.reopen);
      if (alert.state === 'paused' || alert.state === 'cancelled' || alert.state === 'failed') {
        log.info({ state: alert.state }, 'alert is not sending; batch held');
        return { sent: 0, failed: 0, skipped: 0, retry: 0, state: alert.state };
      }
      const article = alert.article;
      // What the relay tells this run counts only until the alert is resumed (see DeliveryLedger).
      const resumes = alert.resumes;
      // Re-read the alert's state while sending, at most every STATE_POLL_MS, shared by the
      // concurrent senders below: pause and cancel stop the batch between two messages.
      let stoppedBy: 'paused' | 'cancelled' | 'failed' | undefined;
      // Redis gave up answering (longer than REDIS_FAILOVER_WAIT_MS): stop sending, record what went
      // out, then fail the batch for a retry. Throwing from the check instead would leave the other
      // senders running with nobody to record what they send.
      let redisAway: unknown;
      let takenOver = false;
      let checkedAt = Date.now();
      let checking: Promise<void> | undefined;
      const checkState = async () => {
        if (stoppedBy || redisAway || takenOver || Date.now() - checkedAt < STATE_POLL_MS) return;
        checking ??= Promise.all([deps.alerts.state(alertId), attempt.owned?.() ?? true]).then(
          ([s, owned]) => {
            if (s === 'paused' || s === 'cancelled' || s === 'failed') stoppedBy = s;
            if (!owned) takenOver = true;
            checkedAt = Date.now();
            checking = undefined;
          },
          (err: unknown) => {
            redisAway = err;
            checking = undefined;
          },
        );
        await checking;
      };
      // Read the range now, not at fan-out time: whoever left since is not mailed.
      const inRange = await deps.subscribers.activeIds(batch.shard, article.locale, batch.after, batch.upTo, batch.count * 2 + 1000);
      const owed = await deps.alerts.unsettled(alertId, inRange);
      const records = await deps.subscribers.getMany(owed);
      const recipients: Subscriber[] = [];
      const skipped: number[] = [];
      // Daily-digest subscribers get the story in their digest, not as an alert (like a topic filter).
      const digest = deps.digestAmong ? await deps.digestAmong(batch.shard, owed) : undefined;
      records.forEach((r, i) => {
        if (!r || r.status !== 'confirmed') skipped.push(owed[i]!);
        else if (topicsMatch(r.topics, article.topics) && !digest?.has(r.id)) recipients.push(r);
      });
      await deps.alerts.record(alertId, 'skipped', skipped);

      // Stale-alert guard: old news is not news. The recipients count as skipped and the alert says why.
      const stale = recipients.length > 0 ? staleReason(alert, deps.alertMaxAgeSeconds, (deps.now ?? Date.now)()) : undefined;
      if (stale) {
        await deps.alerts.setReason(alertId, stale);
        const n = await deps.alerts.record(alertId, 'skipped', recipients.map((r) => r.id));
        const settled = inRange.length - (await deps.alerts.unsettled(alertId, inRange)).length;
        const state = await finishBatch(alertId, batch, settled);
        log.warn({ skipped: skipped.length + n, state, reason: stale }, 'batch not sent: alert is stale');
        return { sent: 0, failed: 0, skipped: skipped.length + n, retry: 0, state };
      }

      let template: AlertTemplates | undefined;
      try {
        template = recipients.length > 0 ? await templateFor(alert) : undefined;
      } catch (err) {
        return failAlert(alertId, err, log);
      }
      const threading = alert.followUp && recipients.length > 0 ? await threadingFor(deps.alerts, deps.mailer, deps.links, alert.followUp.thread, recipients.map((r) => r.id)) : undefined;
      const ledger = sentLedger(deps.alerts, alertId, keep, (ids) => deps.subscribers.countReceived(batch.shard, ids));
      let sent = 0;
      let failed = 0;
      const delivered: number[] = [];
      // Failures sorted by who is at fault (see classifySendError); only hard bounces touch a subscriber.
      const temporary: { subscriber: Subscriber; failure: SendFailure }[] = [];
      // The relay as a whole failing (see aboutTransaction), and refusals inside a transaction.
      const relay: { subscriber: Subscriber; failure: RelayFailure }[] = [];
      const refused: { subscriber: Subscriber; failure: RelayFailure }[] = [];
      const unsendable: { subscriber: Subscriber; failure: SendFailure }[] = [];
      let relayRun = 0;
      let tripped: string | undefined;

      const hardBounce = async (r: Subscriber, failure: Extract<SendFailure, { kind: 'recipient' }>) => {
        const reason =
          `the relay refused {n} recipients as unknown or disabled addresses with hardly a delivery between them (last: ${failure.message}); ` +
          'a misrouted relay or a blocked sending IP does that, not that many readers at once, so nobody was suppressed for it';
        const verdict = await keep('hard bounce', { alertId, subscriberId: r.id }, () => deps.alerts.hardBounce(alertId, r.id, batch, { limit: BREAKER_LIMIT, reason, resumes }));
        if (verdict.kind === 'suppress') {
          failed++;
          deps.observer?.failed(alertId);
          await keep('suppression after a hard bounce', { alertId, subscriberId: r.id }, () => deps.subscribers.setStatus(r.id, 'bounced'));
          deps.observer?.suppressed(alertId);
          log.warn({ subscriberId: r.id, to: maskEmail(r.email), code: failure.code, err: failure.message }, 'hard bounce; address suppressed');
          // A trip that landed between the script and setStatus undid this bounce: its suppression goes too.
          if (await deps.alerts.wasUnbounced(alertId, r.id)) await deps.subscribers.unbounce(r.id);
        } else if (verdict.kind === 'tripped') {
          stoppedBy = 'paused';
          await Promise.all(verdict.undo.map((id) => deps.subscribers.unbounce(id)));
          tripped = reason.replaceAll('{n}', String(verdict.undo.length));
          log.error({ cause: 'recipients', undone: verdict.undo.length, reopened: verdict.reopen.length, reason: tripped }, `alert paused: ${tripped}`);
          await requeueReopened(alertId, { trip: verdict.trip, batches: verdict.reopen });
          await deps.onSelfPause?.(alertId, 'recipients', tripped);
        }
        // 'held': the alert stopped sending or was resumed meanwhile, the recipient is still owed; 'settled': nothing to do.
      };

      const { buildFailure } = await sendCopies({
        recipients,
        concurrency: deps.sendConcurrency,
        mailer: deps.mailer,
        copyFor: (r) => {
          const thread = threading?.(r.id);
          const slots = deps.links.alertSlots(r.id, alertId);
          const tag = deps.links.messageTag(r.id, `a${alertId}`);
          const built = template!;
          return thread && built.threaded ? { template: built.threaded, slots: { ...slots, ...thread }, tag } : { template: built.plain, slots, tag };
        },
        stop: async () => {
          await checkState();
          return Boolean(stoppedBy) || Boolean(redisAway) || takenOver || relayRun >= RELAY_RUN_TO_STOP;
        },
        beforeSend: deps.sendRate ? () => deps.sendRate!.take() : undefined,
        sent: (r, latencyMs) => {
          relayRun = 0;
          ledger.add(r.id);
          deps.observer?.sent(alertId, latencyMs);
          delivered.push(r.id);
        },
        failed: async (r, failure, err) => {
          if (failure.kind === 'relay') {
            if (!aboutTransaction(err, failure)) {
              relay.push({ subscriber: r, failure });
              // A refused login or a size limit will not change for the next recipient.
              relayRun = failure.permanent ? RELAY_RUN_TO_STOP : relayRun + 1;
              return;
            }
            refused.push({ subscriber: r, failure });
            const verdict = await deps.alerts.relayRefusal(alertId, RELAY_RUN_TO_STOP, failure.reason, resumes);
            if (verdict === 'paused') {
              stoppedBy = 'paused';
              log.error({ cause: 'relay', reason: failure.reason }, `alert paused: ${failure.reason}`);
              await deps.onSelfPause?.(alertId, 'relay', failure.reason);
            }
            return;
          }
          // The relay answered about this mailbox: the relay itself works.
          relayRun = 0;
          if (failure.kind === 'recipient') await hardBounce(r, failure);
          else if (failure.kind === 'mailbox') temporary.push({ subscriber: r, failure });
          else unsendable.push({ subscriber: r, failure });
        },
      });
      sent += await ledger.drain();
      if (redisAway) throw new RedisAwayError(redisAway);
      if (takenOver) {
        log.info({ sent }, 'batch taken over by another run; stopped sending');
        throw new BatchTakenOverError();
      }
      if (buildFailure !== undefined) return failAlert(alertId, buildFailure, log);
      if (stoppedBy) {
        // What went out is in the ledger; the rest (and any temporary failures) is owed on resume.
        log.info({ sent, failed, state: stoppedBy, ...(tripped ? { reason: tripped } : {}) }, 'batch stopped early');
        return { sent, failed, skipped: skipped.length, retry: 0, state: stoppedBy };
      }

      // The relay is failing (a run of its failures, or nothing delivered beside them): nobody is
      // charged for it. Permanent (a refused login, a policy rejection, a size limit): pause now.
      // Temporary (refused connections, timeouts): retry with backoff, pause if it persists.
      if (relay.length > 0 && (delivered.length === 0 || relayRun >= RELAY_RUN_TO_STOP)) {
        const worst = relay.find((f) => f.failure.permanent) ?? relay[relay.length - 1]!;
        if (!worst.failure.permanent && attempt.attempt < Math.min(RELAY_TEMPORARY_PAUSE_ATTEMPT, attempt.maxAttempts)) {
          log.debug({ sent, relayFailures: relay.length, attempt: attempt.attempt, err: worst.failure.message }, 'relay failing; batch will be retried');
          throw new RetryableBatchError(relay.length + temporary.length, worst.failure.message);
        }
        const state = await selfPause(alertId, resumes, 'relay', worst.failure.reason, log, { relayFailures: relay.length, attempt: attempt.attempt, sent });
        // Not paused by this run (paused already, or resumed since it began): they are still owed, and
        // the batch runs again; a result without a retry would end the job with the batch unfinished.
        return { sent, failed, skipped: skipped.length, retry: relay.length + temporary.length, state };
      }
      // An address this relay cannot take (it needs SMTPUTF8): not sent, never held against the reader.
      if (unsendable.length > 0) {
        const ids = unsendable.map((f) => f.subscriber.id);
        const n = (await keep('failed ledger', { alertId, outcome: 'failed', subscriberIds: ids }, () => deps.alerts.recordNew(alertId, 'failed', ids))).length;
        failed += n;
        for (let i = 0; i < n; i++) deps.observer?.failed(alertId);
        log.warn({ failed: unsendable.length, err: unsendable[unsendable.length - 1]!.failure.message }, 'recipients not sent: this relay cannot take their addresses');
      }

      // Deferred mailboxes, relay hiccups among deliveries, and refusals that did not add up to a run:
      // retried with backoff; whoever is still left at the last attempt is recorded as failed.
      const retry = [...temporary, ...relay, ...refused];
      if (retry.length > 0) {
        const sample = retry[retry.length - 1]!.failure.message;
        if (attempt.attempt < attempt.maxAttempts) {
          log.debug({ sent, failed, retry: retry.length, attempt: attempt.attempt, err: sample }, 'temporary failures; batch will be retried');
          await deps.alerts.noteDeferrals(alertId, batch, temporary.length, resumes);
          throw new RetryableBatchError(retry.length, sample);
        }
        if (temporary.length > 0) {
          const reason =
            `the relay deferred {d} recipients through all ${attempt.maxAttempts} attempts and delivered {sent} (last: ${temporary[temporary.length - 1]!.failure.message}); ` +
            'that is the relay, not their mailboxes, so nobody got a soft bounce';
          const verdict = await deps.alerts.deferredAtLast(alertId, batch, temporary.length, DEFERRAL_MIN, reason, resumes);
          if (verdict !== 'soft') {
            const state = verdict === 'paused' ? 'paused' : ((await deps.alerts.state(alertId)) ?? 'missing');
            if (verdict === 'paused') {
              const status = await deps.alerts.status(alertId);
              log.error({ cause: 'deferrals', reason: status?.reason }, `alert paused: ${status?.reason}`);
              await deps.onSelfPause?.(alertId, 'deferrals', status?.reason ?? reason);
            }
            // 'held' (paused, or resumed since this run began, as the state read above may already
            // say 'sending'): all of them are still owed, so the batch runs again.
            return { sent, failed, skipped: skipped.length, retry: retry.length, state };
          }
        }
        // Out of attempts: these recipients are recorded as failed (soft) and the batch completes.
        const ids = retry.map((t) => t.subscriber.id);
        const settledNow = new Set(await keep('failed ledger', { alertId, outcome: 'failed', subscriberIds: ids }, () => deps.alerts.recordNew(alertId, 'failed', ids)));
        failed += settledNow.size;
        for (let i = 0; i < settledNow.size; i++) deps.observer?.failed(alertId);
        log.error({ failed: retry.length, attempts: attempt.attempt, err: sample }, 'temporary failures persisted; recipients marked failed');
        // Each mailbox deferral is one soft bounce, once per alert (the ledger settles it once);
        // SOFT_BOUNCE_LIMIT of them in a row suppress the address.
        const soft = temporary.map((t) => t.subscriber.id).filter((id) => settledNow.has(id));
        const suppressed = await deps.subscribers.recordSoftBounces(batch.shard, soft, deps.softBounceLimit ?? 3);
        for (let i = 0; i < suppressed.length; i++) deps.observer?.suppressed(alertId);
        if (suppressed.length > 0) log.warn({ suppressed: suppressed.length }, 'soft bounce limit reached; addresses suppressed');
      }
      await deps.subscribers.clearSoftBounces(batch.shard, delivered);
      if (attempt.attempt > 1) await deps.alerts.noteDeferrals(alertId, batch, 0, resumes);
      const unsettled = await deps.alerts.unsettled(alertId, inRange);
      // Recipients this run took that still have no outcome: held (the alert paused under a send in
      // flight) or made owed again by a breaker trip. The batch is not done: it runs again.
      const taken = new Set(recipients.map((r) => r.id));
      const owedAgain = unsettled.filter((id) => taken.has(id)).length;
      if (owedAgain > 0) {
        log.info({ sent, failed, owedAgain }, 'recipients owed again; batch will run again');
        return { sent, failed, skipped: skipped.length, retry: owedAgain, state: (await deps.alerts.state(alertId)) ?? 'missing' };
      }
      const settled = inRange.length - unsettled.length;
      const state = await finishBatch(alertId, batch, settled);
      log.info({ sent, failed, skipped: skipped.length, state }, 'batch done');
      return { sent, failed, skipped: skipped.length, retry: 0, state };
    },
  };
}
