import type { Writable } from 'node:stream';
import { SUBSCRIBER_SHARDS } from '../keys';
import type { SubscriberStore } from './subscriber-store';

/**
 * A cell a spreadsheet reads as text. A leading `=`, `+`, `-`, `@`, tab or CR would make it a
 * formula (OWASP "CSV injection"; addresses such as `+x@example.com` are valid), so such a cell
 * gets a leading apostrophe, which spreadsheets show as nothing; the import strips it again.
 */
export function csvCell(value: string): string {
  const v = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
export const FORMULA_START = /^[=+\-@\t\r]/;
const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : '');

/** Every subscriber as CSV, shard by shard, a page at a time; honours back-pressure. Returns the count. */
export async function exportSubscribersCsv(subscribers: SubscriberStore, out: Writable): Promise<number> {
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  await write('email,locale,topics,status,created_at,confirmed_at\n');
  let n = 0;
  for (let shard = 0; shard < SUBSCRIBER_SHARDS; shard++) {
    for await (const page of subscribers.scanShard(shard)) {
      let chunk = '';
      for (const s of page) {
        chunk += [s.email, s.locale, s.topics.join(';'), s.status, iso(s.createdAt), iso(s.confirmedAt)].map(csvCell).join(',') + '\n';
        n++;
      }
      await write(chunk);
    }
  }
  return n;
}
