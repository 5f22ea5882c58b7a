import type { Request, Response } from 'express';
import { AUDIT_PAGE_MAX, exportAudit, isAuditCursor, type AuditLog } from '../ops/audit-log';
import { HttpError } from './errors';

/** `?before=<entry id>&limit=<1..500>` of an audit page; anything else is a 400. */
export function auditPageQuery(req: Request, defaultLimit = 50): { before?: string; limit: number } {
  const { before, limit } = req.query as Record<string, unknown>;
  if (before !== undefined && before !== '' && !isAuditCursor(before)) throw new HttpError(400, 'validation_failed', 'before: an audit entry id such as 1764649200000-0 (the previous page\'s next).');
  let n = defaultLimit;
  if (limit !== undefined && limit !== '') {
    if (typeof limit !== 'string' || !/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > AUDIT_PAGE_MAX) {
      throw new HttpError(400, 'validation_failed', `limit: a whole number from 1 to ${AUDIT_PAGE_MAX}.`);
    }
    n = Number(limit);
  }
  return { before: before === '' ? undefined : (before as string | undefined), limit: n };
}

export function auditFormat(req: Request): 'csv' | 'jsonl' {
  const f = req.query.format ?? 'jsonl';
  if (f !== 'csv' && f !== 'jsonl') throw new HttpError(400, 'validation_failed', 'format: csv or jsonl.');
  return f;
}

/** Streams the whole log as a download; a failure half-way cuts the response (never a silent short file). */
export async function sendAuditExport(log: AuditLog, format: 'csv' | 'jsonl', res: Response): Promise<void> {
  const day = new Date().toISOString().slice(0, 10);
  res
    .status(200)
    .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
    .set('Cache-Control', 'no-store')
    .attachment(`kilat-audit-${day}.${format}`);
  try {
    await exportAudit(log, format, res);
    res.end();
  } catch (err) {
    res.destroy(err as Error);
  }
}
