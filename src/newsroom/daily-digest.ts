import type { Redis } from 'ioredis';
import { LOCALES, type Locale } from '../config';
import { SUBSCRIBER_SHARDS, type Keys } from '../keys';
import type { Logger } from '../logger';
import { maskEmail } from '../logger';
import type { AlertStore } from '../alerts/alert-store';
import { topicsMatch, type Article } from '../article';
import type { Mailer } from '../mail/mailer';
import type { MessageTemplate } from '../mail/message-template';
import { sendCopies } from '../mail/send-copies';
import type { DigestRenderer } from '../mail/render-digest';
import type { DigestPreferences } from '../subscribers/digest-preferences';
import type { Links } from '../subscribers/links';
import type { Subscriber, SubscriberStore } from '../subscribers/subscriber-store';

export interface DigestDeps {
  redis: Redis;
  keys: Keys;
  alerts: AlertStore;
  subscribers: SubscriberStore;
  digestPrefs: DigestPreferences;
  mailer: Mailer;
  renderDigest: DigestRenderer;
  links: Links;
  logger: Logger;
  timeZone: string;
  sendConcurrency: number;
}

export interface DigestReport {
  day: string;
  stories: Record<Locale, number>;
  sent: number;
  /** Already had today's digest (a re-run), or nothing today matches their topics. */
  skipped: number;
}

const DAY_MS = 24 * 3600 * 1000;
// Relay failures in a row (no delivery between them) after which the digest stops, as an alert batch does.
const RELAY_RUN_TO_STOP = 3;

/**
 * The daily digest for subscribers who chose it: every story of the last 24 hours in their
 * language (breaking ones and `breaking: false` ones), one email each, rendered once per locale.
 * A per-day set of who got it makes a re-run (a retried or duplicated tick) send nobody twice.
 */
export async function sendDailyDigest(deps: DigestDeps, now = Date.now()): Promise<DigestReport> {
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: deps.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(now));
  const log = deps.logger.child({ digest: day });
  const byLocale: Record<Locale, Article[]> = { id: [], en: [] };
  for (const id of await deps.alerts.recentIds(200)) {
    const status = await deps.alerts.status(id);
    // A scheduled story is not news until its time; once it fired, its day counts from then.
    if (!status || status.state === 'scheduled' || status.state === 'cancelled' || status.state === 'failed') continue;
    if (Date.parse(status.publishAt ?? status.createdAt) < now - DAY_MS) continue;
    const alert = await deps.alerts.get(id);
    if (alert) byLocale[alert.article.locale].push(alert.article);
  }
  const templates = new Map<Locale, MessageTemplate>();
  for (const locale of LOCALES) {
    if (byLocale[locale].length > 0) templates.set(locale, await deps.mailer.prepareListEmail(await deps.renderDigest(byLocale[locale], locale, new Date(now))));
  }
  const report: DigestReport = { day, stories: { id: byLocale.id.length, en: byLocale.en.length }, sent: 0, skipped: 0 };
  if (templates.size === 0) {
    log.info('no stories in the last 24 hours; no digest');
    return report;
  }
  const ref = `d${day.replace(/-/g, '')}`;
  // Relay failures in a row; at RELAY_RUN_TO_STOP the digest stops with `stopped` as the reason.
  let relayRun = 0;
  let stopped: string | undefined;
  for (let shard = 0; shard < SUBSCRIBER_SHARDS && !stopped; shard++) {
    const sentKey = deps.keys.digestSent(shard, day);
    for await (const ids of deps.digestPrefs.scan(shard)) {
      const records = await deps.subscribers.getMany(ids);
      const gone = ids.filter((_, i) => !records[i]);
      await deps.digestPrefs.forget(gone, shard);
      const already = await deps.redis.smismember(sentKey, ...ids.map(String));
      const due = records.filter((r, i): r is Subscriber => {
        if (!r || r.status !== 'confirmed' || already[i] === 1) return false;
        const template = templates.has(r.locale);
        return template && byLocale[r.locale].some((a) => topicsMatch(r.topics, a.topics));
      });
      report.skipped += ids.length - gone.length - due.length;
      await sendCopies({
        recipients: due,
        concurrency: deps.sendConcurrency,
        mailer: deps.mailer,
        copyFor: (r) => ({ template: templates.get(r.locale)!, slots: deps.links.listSlots(r.id), tag: deps.links.messageTag(r.id, ref) }),
        stop: () => stopped !== undefined,
        sent: async (r) => {
          relayRun = 0;
          await deps.redis.multi().sadd(sentKey, String(r.id)).expire(sentKey, 3 * 24 * 3600).exec();
          report.sent++;
        },
        failed: (r, failure) => {
          // Sorted by who is at fault, as for alerts. A digest never changes a subscriber; a relay
          // that keeps failing stops it (the rest would fail the same way, and the per-day set lets
          // a later run send only to whoever is still owed).
          relayRun = failure.kind !== 'relay' ? 0 : failure.permanent ? RELAY_RUN_TO_STOP : relayRun + 1;
          const reason = failure.kind === 'relay' ? failure.reason : failure.message;
          log.warn({ subscriberId: r.id, to: maskEmail(r.email), fault: failure.kind, err: reason }, 'digest not delivered');
          if (relayRun >= RELAY_RUN_TO_STOP) stopped = reason;
        },
      });
      if (stopped) break;
    }
  }
  if (stopped) log.error({ sent: report.sent, reason: stopped }, `daily digest stopped: ${stopped}`);
  else log.info({ sent: report.sent, skipped: report.skipped, stories: report.stories }, 'daily digest sent');
  return report;
}
