import type { Logger } from '../logger';
import { maskEmail } from '../logger';
import type { Mailer } from '../mail/mailer';
import type { MessageTemplate } from '../mail/message-template';
import { classifySendError, type SendFailure } from '../mail/transport';
import type { Links } from '../subscribers/links';
import type { Subscriber, SubscriberStore } from '../subscribers/subscriber-store';
import type { AlertRecord, AlertStore, BatchRef } from './alert-store';
import { LOCALES } from '../config';
import type { SendRate } from './send-rate';
import { toArticle, topicsMatch } from './article';

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
  now?: () => number;
}

export interface SendObserver {
  sent(alertId: string, latencyMs: number): void;
  failed(alertId: string): void;
  suppressed(alertId: string): void;
}

/** Why an alert is too old to send now, or undefined when it is fresh enough. */
export function staleReason(alert: AlertRecord, maxAgeSeconds: number | undefined, now: number): string | undefined {
  if (!maxAgeSeconds) return undefined;
  // The article's own time when the publisher gave one, else when it was published to us.
  const published = alert.article.publishedAt ? Date.parse(alert.article.publishedAt) : alert.createdAt;
  if (!Number.isFinite(published) || published <= 0) return undefined;
  const age = Math.floor((now - published) / 1000);
  if (age <= maxAgeSeconds) return undefined;
  return `stale: the article (published ${new Date(published).toISOString()}) was ${age} s old when its batch was due, more than ALERT_MAX_AGE (${maxAgeSeconds} s); not sent`;
}

export interface BatchAttempt {
  /** 1-based attempt number and the most the queue will make. */
  attempt: number;
  maxAttempts: number;
}

export interface BatchResult {
  sent: number;
  failed: number;
  skipped: number;
  /** Recipients that hit a temporary failure and are owed a retry. */
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
function sentLedger(alerts: AlertStore, alertId: string) {
  let pending: number[] = [];
  let writing: Promise<void> | undefined;
  let recorded = 0;
  let error: unknown;
  const pump = async () => {
    while (pending.length > 0) {
      const ids = pending;
      pending = [];
      recorded += await alerts.record(alertId, 'sent', ids);
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

// Rendered and built once per alert per process; batches of the same alert reuse it.
const TEMPLATE_CACHE_SIZE = 16;
// How stale the alert's state may be while a batch sends: a pause or cancel lands within this
// (plus the messages already on the wire), well inside one batch. Short, because a batch sends
// thousands of messages a second; one HGET per batch per interval is nothing beside that.
const STATE_POLL_MS = 20;

export function createBatchSender(deps: BatchSenderDeps): BatchSender {
  const templates = new Map<string, Promise<MessageTemplate>>();

  function templateFor(alert: AlertRecord): Promise<MessageTemplate> {
    let t = templates.get(alert.id);
    if (!t) {
      t = deps.mailer.prepareAlert(alert.article, alert.article.locale);
      t.catch(() => templates.delete(alert.id));
      templates.set(alert.id, t);
      if (templates.size > TEMPLATE_CACHE_SIZE) templates.delete(templates.keys().next().value!);
    }
    return t;
  }

  return {
    async prepare(alert) {
      await templateFor(alert);
    },
    async warmUp() {
      for (const locale of LOCALES) {
        const article = toArticle({ title: 'warm-up', body: 'Kilat\n\nwarm-up', topics: [] }, locale);
        const template = await deps.mailer.prepareAlert(article, locale);
        template.personalise({ to: 'warm-up@example.invalid', slots: { UNSUBSCRIBE_URL: deps.links.unsubscribe(0), PREFERENCES_URL: deps.links.preferences(0) } });
      }
    },
    async send(alertId, batch, attempt) {
      const log = deps.logger.child({ alertId, batch: `${batch.shard}:${batch.after}:${batch.upTo}` });
      const alert = await deps.alerts.get(alertId);
      if (!alert) {
        log.warn('batch for a missing alert; nothing to do');
        return { sent: 0, failed: 0, skipped: 0, retry: 0, state: 'missing' };
      }
      if (alert.state === 'paused' || alert.state === 'cancelled') {
        log.info({ state: alert.state }, 'alert is not sending; batch held');
        return { sent: 0, failed: 0, skipped: 0, retry: 0, state: alert.state };
      }
      const article = alert.article;
      // Re-read the alert's state while sending, at most every STATE_POLL_MS, shared by the
      // concurrent senders below: pause and cancel stop the batch between two messages.
      let stoppedBy: 'paused' | 'cancelled' | undefined;
      let checkedAt = Date.now();
      let checking: Promise<void> | undefined;
      const checkState = async () => {
        if (stoppedBy || Date.now() - checkedAt < STATE_POLL_MS) return;
        checking ??= deps.alerts.state(alertId).then((s) => {
          if (s === 'paused' || s === 'cancelled') stoppedBy = s;
          checkedAt = Date.now();
          checking = undefined;
        });
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
        const state = await deps.alerts.finishBatch(alertId, batch, settled);
        log.warn({ skipped: skipped.length + n, state, reason: stale }, 'batch not sent: alert is stale');
        return { sent: 0, failed: 0, skipped: skipped.length + n, retry: 0, state };
      }

      const template = recipients.length > 0 ? await templateFor(alert) : undefined;
      const ledger = sentLedger(deps.alerts, alertId);
      let sent = 0;
      let failed = 0;
      const delivered: number[] = [];
      const temporary: { subscriber: Subscriber; failure: SendFailure }[] = [];
      let next = 0;
      const worker = async () => {
        while (next < recipients.length) {
          await checkState();
          // Another sender may have taken the last recipient while this one awaited the check.
          if (stoppedBy || next >= recipients.length) return;
          const r = recipients[next++]!;
          if (deps.sendRate) await deps.sendRate.take();
          const tag = deps.links.messageTag(r.id, `a${alertId}`);
          const raw = template!.personalise({
            to: r.email,
            tag,
            slots: { UNSUBSCRIBE_URL: deps.links.unsubscribe(r.id), PREFERENCES_URL: deps.links.preferences(r.id) },
          });
          const started = performance.now();
          try {
            await deps.mailer.send(r.email, raw, tag);
          } catch (err) {
            const failure = classifySendError(err);
            if (failure.kind === 'permanent') {
              const n = await deps.alerts.record(alertId, 'failed', [r.id]);
              failed += n;
              if (n > 0) deps.observer?.failed(alertId);
              await deps.subscribers.setStatus(r.id, 'bounced');
              deps.observer?.suppressed(alertId);
              log.warn({ subscriberId: r.id, to: maskEmail(r.email), code: failure.code, error: failure.message }, 'hard bounce; address suppressed');
            } else {
              temporary.push({ subscriber: r, failure });
            }
            continue;
          }
          ledger.add(r.id);
          deps.observer?.sent(alertId, performance.now() - started);
          delivered.push(r.id);
        }
      };
      await Promise.all(Array.from({ length: Math.min(deps.sendConcurrency, recipients.length) }, worker));
      sent += await ledger.drain();
      if (stoppedBy) {
        // What went out is in the ledger; the rest (and any temporary failures) is owed on resume.
        log.info({ sent, failed, state: stoppedBy }, 'batch stopped early');
        return { sent, failed, skipped: skipped.length, retry: 0, state: stoppedBy };
      }

      if (temporary.length > 0) {
        const sample = temporary[temporary.length - 1]!.failure.message;
        if (attempt.attempt < attempt.maxAttempts) {
          log.warn({ sent, failed, retry: temporary.length, attempt: attempt.attempt, error: sample }, 'temporary failures; batch will be retried');
          throw new RetryableBatchError(temporary.length, sample);
        }
        // Out of attempts: these recipients are recorded as failed (soft) and the batch completes.
        const n = await deps.alerts.record(alertId, 'failed', temporary.map((t) => t.subscriber.id));
        failed += n;
        for (let i = 0; i < n; i++) deps.observer?.failed(alertId);
        log.error({ failed: temporary.length, attempts: attempt.attempt, error: sample }, 'temporary failures persisted; recipients marked failed');
        // Each is one soft bounce; SOFT_BOUNCE_LIMIT of them in a row suppresses the address.
        const suppressed = await deps.subscribers.recordSoftBounces(batch.shard, temporary.map((t) => t.subscriber.id), deps.softBounceLimit ?? 3);
        for (let i = 0; i < suppressed.length; i++) deps.observer?.suppressed(alertId);
        if (suppressed.length > 0) log.warn({ suppressed: suppressed.length }, 'soft bounce limit reached; addresses suppressed');
      }
      await deps.subscribers.clearSoftBounces(batch.shard, delivered);
      const settled = inRange.length - (await deps.alerts.unsettled(alertId, inRange)).length;
      const state = await deps.alerts.finishBatch(alertId, batch, settled);
      log.info({ sent, failed, skipped: skipped.length, state }, 'batch done');
      return { sent, failed, skipped: skipped.length, retry: 0, state };
    },
  };
}
