import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { Queue } from 'bullmq';
import { LOCALES, type Locale } from '../config';
import { SUBSCRIBER_SHARDS } from '../keys';
import type { ConfirmationJob } from '../queues';
import { normaliseAddress } from './email-address';
import { FORMULA_START } from './export-csv';
import type { SubscriberStore } from './subscriber-store';

export interface ImportDeps {
  subscribers: SubscriberStore;
  confirmations: Pick<Queue<ConfirmationJob>, 'addBulk'>;
  topics: readonly string[];
  defaultLocale: Locale;
}

export interface ImportOptions {
  /** The list was already opted in elsewhere: no confirmation email, subscribed at once. */
  confirmed: boolean;
  onBadRow?: (line: number, reason: string) => void;
  /** Called after each flushed chunk with the number of rows read so far. */
  onProgress?: (rows: number) => void;
  /** Rows per shard per script call. */
  chunk?: number;
}

export interface ImportReport {
  rows: number;
  created: number;
  /** Pending addresses made confirmed by a --confirmed import. */
  confirmed: number;
  /** Already pending or confirmed: left as they were. */
  existing: number;
  /** Unsubscribed, bounced or complained: an import never resubscribes them. */
  optedOut: number;
  bad: number;
  confirmationsQueued: number;
}

export class ImportFileError extends Error {}

type Row = { email: string; locale: Locale; topics: string[] };

/**
 * Imports a CSV with a header row `email,locale,topics` (topics separated by `;`). Rows are
 * validated one by one (a bad row is reported by its line number and skipped; the good ones are
 * kept), grouped by subscriber shard and written with one script call per shard chunk, several
 * calls in flight at once, so a million rows take seconds rather than a million round trips.
 */
export async function importSubscribersCsv(deps: ImportDeps, input: Readable, opts: ImportOptions): Promise<ImportReport> {
  const chunk = opts.chunk ?? 500;
  const mode = opts.confirmed ? 'confirmed' : 'pending';
  const report: ImportReport = { rows: 0, created: 0, confirmed: 0, existing: 0, optedOut: 0, bad: 0, confirmationsQueued: 0 };
  const groups: Row[][] = Array.from({ length: SUBSCRIBER_SHARDS }, () => []);
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;

  const bad = (line: number, reason: string) => {
    report.bad++;
    opts.onBadRow?.(line, reason);
  };

  const write = async (shard: number, rows: Row[]) => {
    const results = await deps.subscribers.importBatch(shard, rows, mode);
    const toConfirm: number[] = [];
    for (const r of results) {
      if (r.outcome === 'created') {
        report.created++;
        if (mode === 'pending') toConfirm.push(r.id);
      } else if (r.outcome === 'confirmed') report.confirmed++;
      else if (r.outcome === 'exists') report.existing++;
      else report.optedOut++;
    }
    if (toConfirm.length > 0) {
      await deps.confirmations.addBulk(toConfirm.map((subscriberId) => ({ name: 'confirm', data: { subscriberId } })));
      report.confirmationsQueued += toConfirm.length;
    }
  };

  const flush = async (shard: number) => {
    const rows = groups[shard]!;
    if (rows.length === 0) return;
    groups[shard] = [];
    const p = write(shard, rows).catch((err) => {
      failure ??= err;
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    // Back-pressure: a bounded number of script calls in flight.
    if (inFlight.size >= 16) await Promise.race(inFlight);
    if (failure) throw failure;
  };

  const parser = input.pipe(
    parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true, max_record_size: 64 * 1024 }),
  );
  let header: { email: number; locale: number; topics: number } | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!header) {
        const names = record.map((h) => h.toLowerCase());
        const email = names.indexOf('email');
        if (email < 0) throw new ImportFileError(`line ${info.lines}: the header row must name the columns email,locale,topics (got: ${record.join(',')})`);
        header = { email, locale: names.indexOf('locale'), topics: names.indexOf('topics') };
        continue;
      }
      report.rows++;
      const line = info.lines;
      // An exported cell that would have read as a formula carries a leading apostrophe (csvCell).
      const cell = record[header.email] ?? '';
      const address = normaliseAddress(cell.startsWith("'") && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell);
      if (!address.ok) {
        bad(line, address.reason);
        continue;
      }
      const localeText = header.locale >= 0 ? (record[header.locale] ?? '') : '';
      if (localeText !== '' && !(LOCALES as readonly string[]).includes(localeText)) {
        bad(line, `locale must be one of ${LOCALES.join(', ')} (got "${localeText.slice(0, 20)}")`);
        continue;
      }
      const topicsText = header.topics >= 0 ? (record[header.topics] ?? '') : '';
      const topics = [...new Set(topicsText.split(';').map((t) => t.trim()).filter(Boolean))];
      const unknown = topics.find((t) => !deps.topics.includes(t));
      if (unknown !== undefined) {
        bad(line, `unknown topic "${unknown.slice(0, 40)}" (known: ${deps.topics.join(', ')})`);
        continue;
      }
      const shard = deps.subscribers.shardOfEmail(address.address);
      const group = groups[shard]!;
      group.push({ email: address.address, locale: (localeText || deps.defaultLocale) as Locale, topics });
      if (group.length >= chunk) {
        await flush(shard);
        opts.onProgress?.(report.rows);
      }
    }
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    const e = err as { code?: string; lines?: number; message: string };
    if (e.code?.startsWith('CSV_')) throw new ImportFileError(`line ${e.lines ?? '?'}: ${e.message}`);
    throw err;
  }
  if (!header) throw new ImportFileError('the file is empty: expected a header row email,locale,topics');
  for (let shard = 0; shard < SUBSCRIBER_SHARDS; shard++) await flush(shard);
  await Promise.all(inFlight);
  if (failure) throw failure;
  opts.onProgress?.(report.rows);
  return report;
}
