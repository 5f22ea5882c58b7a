import type { Writable } from 'node:stream';
import { SUBSCRIBER_SHARDS } from '../keys';
import type { SubscriberStore } from './subscriber-store';

const csvCell = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
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
