import type { Redis } from 'ioredis';
import type { Keys } from '../keys';
import { ScriptedStore } from '../redis-scripts';
import { ALERT_SCRIPTS } from './alert-scripts';

/**
 * What an alert's readers did after it arrived. Counted as each event happens (one script, HINCRBY
 * on the alert's outcome hash), read with one HGETALL: no scan of subscribers or ledgers.
 */
export interface AlertOutcomes {
  /** Readers who left through this alert's unsubscribe link, its List-Unsubscribe header or its preferences page. */
  unsubscribed: number;
  /** Hard-bounce reports about this alert's copies (DSNs quoting its VERP address or Message-ID, provider events naming it). */
  bounced: number;
  /** Spam complaints (feedback-loop reports) about this alert's copies. */
  complained: number;
  /** CLICK_TRACKING=on: readers who opened the article through "Read more" (each once), and clicks counted (at most 3 per reader). */
  clicks: { unique: number; total: number };
}

export type ReaderOutcome = 'unsubscribed' | 'bounced' | 'complained';

/** Counted clicks per reader and alert: what a 2-bit counter holds (count-click-3.lua). */
export const CLICKS_PER_READER = 3;

export const NO_OUTCOMES: AlertOutcomes = { unsubscribed: 0, bounced: 0, complained: 0, clicks: { unique: 0, total: 0 } };

export function outcomesFrom(h: Record<string, string>): AlertOutcomes {
  const n = (v: string | undefined) => Math.max(0, Number(v ?? 0) || 0);
  return { unsubscribed: n(h.unsubscribed), bounced: n(h.bounced), complained: n(h.complained), clicks: { unique: n(h.uniqueClicks), total: n(h.clicks) } };
}

export class AlertOutcomeCounters extends ScriptedStore {
  constructor(deps: { redis: Redis; keys: Keys }) {
    super(deps, ALERT_SCRIPTS);
  }

  /** Counts one reader outcome toward an alert; false when the alert does not exist (nothing written). */
  async count(alertId: string, outcome: ReaderOutcome): Promise<boolean> {
    const n = (await this.run('count-outcome', [this.keys.alert(alertId), this.keys.alertOutcomes(alertId)], [outcome])) as number;
    return n >= 0;
  }

  /**
   * One click by a reader: `unique` when it was their first on this alert, `counted` when it added to
   * the total (their first CLICKS_PER_READER), `missing` when there is no such alert.
   */
  async click(alertId: string, subscriberId: number): Promise<{ missing: boolean; unique: boolean; counted: boolean }> {
    const [unique, counted] = (await this.run('count-click', [this.keys.alert(alertId), this.keys.alertOutcomes(alertId), this.keys.alertClicks(alertId)], [subscriberId])) as [number, number];
    return { missing: unique < 0, unique: unique === 1, counted: counted === 1 };
  }

  async read(alertId: string): Promise<AlertOutcomes> {
    return outcomesFrom(await this.redis.hgetall(this.keys.alertOutcomes(alertId)));
  }
}
