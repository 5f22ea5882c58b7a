import pino from 'pino';
import { parseConfig, requireRedisUrl } from '../../src/config';
import { startWorkers } from '../../workers';
import { bearer, postJson, startKilat, waitUntil, type Kilat } from './kilat';
import { alertStatus, publish } from './lifecycle';
import { seedConfirmed } from './seed-subscribers';
import type { RelayMessage } from './smtp-relay';

/**
 * One row of the relay conformance table: a relay that behaves like a provider, the real workers
 * sending a real alert through it, and what an operator sees: the alert's state and reason, who got
 * it, and, after the relay (or Kilat's configuration) is fixed and a second alert is sent, who is
 * suppressed.
 */
export interface RelayRow {
  behaviour: string;
  /** The relay to talk to; `url` is the SMTP_URL Kilat gets. */
  start(): Promise<{ url: string; messages: RelayMessage[]; stop(): Promise<void> }>;
  /** Settings for the workers (beside SMTP_URL); a function when they depend on files made at run time. */
  env?: Record<string, string> | (() => Record<string, string>);
  subscribers?: number;
  /** What the first alert does. */
  first: { state: 'completed' | 'paused'; reason?: RegExp; pausedBy?: 'kilat' };
  /** Addresses the first alert reaches before any fix ('all' or 'none' or a list). */
  delivered: 'all' | 'none' | ((emails: string[]) => string[]);
  /** The fix: change the relay, and/or restart the workers with these settings (given the first SMTP_URL). Then resume. */
  fix?: { relay?: () => void | Promise<void>; env?: (url: string) => Record<string, string> };
  /** Addresses suppressed once it is all over (default none). */
  suppressed?: (emails: string[]) => string[];
  /** Extra checks on the first alert, while it is in its first state. */
  check?: (ctx: RowContext) => Promise<void> | void;
}

export interface RowContext {
  k: Kilat;
  emails: string[];
  alertId: string;
  status: Record<string, unknown>;
}

// Small retry delays: the backoff schedule is the same, compressed (8 attempts in ~6 s, not 4 min).
const ROW_ENV = { SEND_RETRY_BASE_MS: '50', SMTP_TIMEOUT_MS: '2000', LOG_LEVEL: 'silent' };

const subjectOf = (m: RelayMessage) => m.parsed.subject ?? '';

export async function runRelayRow(row: RelayRow): Promise<void> {
  const relay = await row.start();
  const env = typeof row.env === 'function' ? row.env() : row.env;
  const k = await startKilat({ env: { ...ROW_ENV, SMTP_URL: relay.url, ...env } });
  try {
    const emails = await seedConfirmed(k.api.core.subscribers, row.subscribers ?? 30, { domain: 'contoh.co.id', prefix: 'pembaca' });
    const title1 = `Relay ${row.behaviour} satu`;
    const alertId = await publish(k, { title: title1 });
    const status = await waitUntil(async () => {
      const s = await alertStatus(k, alertId);
      return s.state === row.first.state ? s : undefined;
    }, 40_000, `alert 1 ${row.first.state} (${row.behaviour})`);
    const got1 = () => relay.messages.filter((m) => subjectOf(m) === title1).flatMap((m) => m.to);
    const expected1 = row.delivered === 'all' ? emails : row.delivered === 'none' ? [] : row.delivered(emails);
    expect(status.state).toBe(row.first.state);
    if (row.first.reason) expect(status.reason).toMatch(row.first.reason);
    else expect(status.reason).toBeUndefined();
    if (row.first.state === 'paused') expect(status.pausedBy).toBe('kilat');
    // Reasons are read by operators and kept in Redis: never a reader's full address.
    expect(String(status.reason ?? '')).not.toMatch(/pembaca\d+@contoh\.co\.id/);
    if (row.first.state === 'completed') {
      // A queueing relay (Postfix) hands mail on a moment after it said 250.
      await settle(() => got1().length >= expected1.length);
      expect(got1().sort()).toEqual([...expected1].sort());
    }
    else expect(got1().every((a) => expected1.includes(a))).toBe(true);
    await row.check?.({ k, emails, alertId, status });

    if (row.first.state === 'paused') {
      // Paused with a reason: nothing changed for any subscriber.
      for (const e of emails) expect((await k.api.core.subscribers.findByEmail(e))!.status).toBe('confirmed');
      await row.fix?.relay?.();
      if (row.fix?.env) await restartWorkers(k, row.fix.env(relay.url));
      const resumed = await postJson(`${k.baseUrl}/api/alerts/${alertId}/resume`, '', bearer);
      expect(resumed.status).toBe(200);
      await waitUntil(async () => (await alertStatus(k, alertId)).state === 'completed', 40_000, `alert 1 completed after the fix (${row.behaviour})`);
    }
    const suppressed = row.suppressed?.(emails) ?? [];
    const owed = emails.filter((e) => !suppressed.includes(e));
    // Everyone owed got the first alert exactly once, before or after the fix (a completed first
    // alert: exactly those it reached).
    const final1 = row.first.state === 'completed' ? expected1 : owed;
    await settle(() => got1().length >= final1.length);
    expect(got1().sort()).toEqual([...final1].sort());

    const title2 = `Relay ${row.behaviour} dua`;
    const second = await publish(k, { title: title2 });
    await waitUntil(async () => (await alertStatus(k, second)).state === 'completed', 40_000, `alert 2 completed (${row.behaviour})`);
    const got2of = () => relay.messages.filter((m) => subjectOf(m) === title2).flatMap((m) => m.to);
    await settle(() => got2of().length >= owed.length);
    const got2 = got2of();
    expect(got2.sort()).toEqual([...owed].sort());
    for (const e of emails) expect((await k.api.core.subscribers.findByEmail(e))!.status).toBe(suppressed.includes(e) ? 'bounced' : 'confirmed');
  } finally {
    await k.stop();
    await relay.stop();
  }
}

/** Waits (bounded) for `done`; the assertion that follows shows what is missing if it never is. */
async function settle(done: () => boolean): Promise<void> {
  await waitUntil(async () => done(), 20_000, 'messages at the relay').catch(() => undefined);
}

/** The operator fixed a setting and restarted the workers (same Redis, same API). */
export async function restartWorkers(k: Kilat, env: Record<string, string>): Promise<void> {
  await k.workers?.close();
  k.env = { ...k.env, ...env };
  k.config = requireRedisUrl(parseConfig(k.env));
  k.workers = await startWorkers(k.config, pino({ level: 'silent' }));
}
