import type { Locale } from '../config';

export type SubscriberStatus = 'pending' | 'confirmed' | 'paused' | 'unsubscribed' | 'bounced' | 'complained';

export interface Subscriber {
  id: number;
  email: string;
  locale: Locale;
  topics: string[];
  status: SubscriberStatus;
  createdAt: number;
  confirmedAt?: number;
  /** Nonce of the current sign-up; a confirm link must carry it. */
  nonce: string;
}

/** New choices from a sign-up for an existing subscription, waiting for its owner to confirm them. */
export interface PendingChange {
  nonce: string;
  locale: Locale;
  topics: string[];
}

/**
 * How many values one record takes in a read script's reply. The packed record itself is defined
 * once, in Lua (commands/includes/record.lua): every write is a script, and the reads
 * (read-records, scan-records) hand it over field by field, so TypeScript never parses it.
 */
export const RECORD_FIELDS = 7;

/** Topics travel to and from the scripts comma-joined, as the record keeps them. */
export const joinTopics = (topics: string[]) => topics.join(',');
const splitTopics = (topics: string) => (topics ? topics.split(',') : []);

/** A record from the seven values `fields` (record.lua) returns at `at`; undefined where the script found none. */
export function subscriberFromReply(id: number, reply: (string | null)[], at: number): Subscriber | undefined {
  const [status, locale, created, confirmed, nonce, topics, email] = reply.slice(at, at + RECORD_FIELDS);
  if (status == null) return undefined;
  return {
    id,
    email: email!,
    locale: locale as Locale,
    topics: splitTopics(topics!),
    status: status as SubscriberStatus,
    createdAt: Number(created),
    confirmedAt: confirmed === '0' ? undefined : Number(confirmed),
    nonce: nonce!,
  };
}

/** A pending change from read-pending-change's reply. */
export function pendingChangeFromReply(reply: [string, string, string] | null): PendingChange | undefined {
  return reply ? { nonce: reply[0], locale: reply[1] as Locale, topics: splitTopics(reply[2]) } : undefined;
}
