import type { Writable } from 'node:stream';
import type { Keys } from '../keys';
import type { Redis } from '../redis';
import { csvCell } from '../subscribers/export-csv';
import { AUDIT_VIA, isAuditAction, type AuditAction, type AuditVia } from './audit-actions';

export interface AuditActor {
  /** Key id (`k_…`), `bootstrap` for PUBLISHER_TOKEN, `cli` for the command line. */
  id: string;
  name: string;
}

export interface AuditFrom {
  via: AuditVia;
  /** The client address as the API saw it (req.ip, which follows TRUST_PROXY). */
  ip?: string;
  userAgent?: string;
}

/** What was acted on: ids (alertId, keyId, subscriberId), counts, masked addresses — never a plain address. */
export type AuditTarget = Record<string, string | number | boolean>;

export interface AuditRecord {
  actor: AuditActor;
  action: AuditAction;
  target: AuditTarget;
  from: AuditFrom;
}

export interface AuditEntry extends AuditRecord {
  /** The stream entry id (`<ms>-<n>`): unique, ordered, the paging cursor. */
  id: string;
  at: string;
}

export const AUDIT_PAGE_MAX = 500;
const STREAM_ID = /^\d{1,15}-\d{1,10}$/;
export const isAuditCursor = (v: unknown): v is string => typeof v === 'string' && STREAM_ID.test(v);

/** A masked address (src/logger.ts maskEmail): `a***b@e***.com`. Anything else with an @ is refused. */
const MASKED = /^[^@\s]\*{1,3}[^@\s]?@[^@\s]?\*\*\*[^@\s]*$/;

/** Free text from a client (user agent, names): no control characters, bounded. */
export const cleanText = (s: string, max = 200) => s.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ').slice(0, max);

export interface AuditLogDeps {
  redis: Redis;
  keys: Keys;
  /** AUDIT_LOG_MAX_ENTRIES: 0 keeps everything; otherwise XADD trims to about this many (MAXLEN ~). */
  maxEntries: number;
}

/**
 * The append-only audit trail: a Redis Stream, written with XADD only (never edited; trimmed only
 * when AUDIT_LOG_MAX_ENTRIES is set). One entry per change that happened: callers record after the
 * action succeeded and only when it changed something, so an entry is neither missing nor invented.
 */
export class AuditLog {
  constructor(private readonly deps: AuditLogDeps) {}

  async record(r: AuditRecord, now = Date.now()): Promise<string> {
    if (!isAuditAction(r.action)) throw new Error(`unknown audit action ${String(r.action)}`);
    if (!(AUDIT_VIA as readonly string[]).includes(r.from.via)) throw new Error(`unknown audit via ${String(r.from.via)}`);
    const target: AuditTarget = {};
    for (const [k, v] of Object.entries(r.target)) {
      if (typeof v === 'string' && v.includes('@') && !MASKED.test(v)) throw new Error(`audit target ${k} holds an address; record an id or maskEmail() of it`);
      target[cleanText(k, 40)] = typeof v === 'string' ? cleanText(v) : v;
    }
    const trim: (string | number)[] = this.deps.maxEntries > 0 ? ['MAXLEN', '~', this.deps.maxEntries] : [];
    const fields = [
      'at', String(now),
      'actorId', cleanText(r.actor.id, 40),
      'actorName', cleanText(r.actor.name, 80),
      'action', r.action,
      'target', JSON.stringify(target),
      'via', r.from.via,
      'ip', cleanText(r.from.ip ?? '', 64),
      'ua', cleanText(r.from.userAgent ?? ''),
    ];
    const id = await this.deps.redis.xadd(this.deps.keys.auditLog(), ...trim, '*', ...fields);
    return id!;
  }

  /** One page, newest first; `before` (exclusive) is the previous page's `next`. */
  async page(opts: { before?: string; limit: number }): Promise<{ entries: AuditEntry[]; next: string | null }> {
    const limit = Math.min(Math.max(1, Math.floor(opts.limit)), AUDIT_PAGE_MAX);
    if (opts.before !== undefined && !isAuditCursor(opts.before)) throw new Error('bad audit cursor');
    const rows = await this.deps.redis.xrevrange(this.deps.keys.auditLog(), opts.before ? `(${opts.before}` : '+', '-', 'COUNT', limit + 1);
    const entries = rows.slice(0, limit).map(toEntry);
    return { entries, next: rows.length > limit ? entries[entries.length - 1]!.id : null };
  }

  /** Every entry, oldest first, a batch at a time (export); `after` (exclusive) resumes. */
  async *all(opts: { after?: string; batch?: number } = {}): AsyncGenerator<AuditEntry[]> {
    let start = opts.after ? `(${opts.after}` : '-';
    for (;;) {
      const rows = await this.deps.redis.xrange(this.deps.keys.auditLog(), start, '+', 'COUNT', opts.batch ?? AUDIT_PAGE_MAX);
      if (rows.length === 0) return;
      yield rows.map(toEntry);
      start = `(${rows[rows.length - 1]![0]}`;
    }
  }

  async count(): Promise<number> {
    return this.deps.redis.xlen(this.deps.keys.auditLog());
  }
}

function toEntry([id, flat]: [string, string[]]): AuditEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
  let target: AuditTarget = {};
  try {
    target = JSON.parse(f.target ?? '{}') as AuditTarget;
  } catch {
    // Entries are only written by record(); an unreadable one is shown empty rather than failing the page.
  }
  return {
    id,
    at: new Date(Number(f.at ?? id.split('-')[0])).toISOString(),
    actor: { id: f.actorId ?? '', name: f.actorName ?? '' },
    action: f.action as AuditAction,
    target,
    from: { via: f.via as AuditVia, ...(f.ip ? { ip: f.ip } : {}), ...(f.ua ? { userAgent: f.ua } : {}) },
  };
}

export const AUDIT_CSV_HEADER = 'id,at,actor_id,actor_name,action,target,via,ip,user_agent\n';

export function auditCsvRow(e: AuditEntry): string {
  const target = Object.entries(e.target).map(([k, v]) => `${k}=${String(v)}`).join(';');
  return [e.id, e.at, e.actor.id, e.actor.name, e.action, target, e.from.via, e.from.ip ?? '', e.from.userAgent ?? ''].map(csvCell).join(',') + '\n';
}

export const auditJsonLine = (e: AuditEntry) => `${JSON.stringify(e)}\n`;

/** Writes the whole log (oldest first) as CSV or JSON lines, honouring back-pressure. Returns the count. */
export async function exportAudit(log: AuditLog, format: 'csv' | 'jsonl', out: Writable): Promise<number> {
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  if (format === 'csv') await write(AUDIT_CSV_HEADER);
  let n = 0;
  for await (const batch of log.all()) {
    await write(batch.map(format === 'csv' ? auditCsvRow : auditJsonLine).join(''));
    n += batch.length;
  }
  return n;
}
