import { simpleParser } from 'mailparser';
import { normaliseAddress } from './email-address';

export type BounceType = 'hard' | 'soft' | 'complaint';

export interface BounceEvent {
  /** The recipient the report is about; absent when a complaint report redacted it. */
  email?: string;
  type: BounceType;
  /** RFC 3463 enhanced status code, e.g. "5.1.1", when the report gave one. */
  status?: string;
  action?: string;
}

export class NotABounceReport extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotABounceReport';
  }
}

/** What a report says, and the message tags (see MessageTags) it quotes: Message-IDs, VERP addresses. */
export interface BounceReport {
  events: BounceEvent[];
  /** Tag-shaped strings found anywhere in the report, lower-cased, not yet verified. */
  quoted: string[];
}

const DSN_TYPES = ['message/delivery-status', 'message/global-delivery-status'];
const MAX_REPORT_BYTES = 2 * 1024 * 1024;
const TAG_SHAPE = /\bk1\.[0-9a-z]{1,11}\.[a-z0-9]{1,20}\.[0-9a-f]{16}\b/gi;
const MAX_QUOTED = 50;

/**
 * Reads a bounce or complaint report: an RFC 3464 delivery status notification (multipart/report
 * with a message/delivery-status part) or an RFC 5965 abuse report (message/feedback-report).
 * Returns one event per affected recipient; a DSN saying "delivered" or "relayed" yields none.
 * Throws NotABounceReport when the message holds neither kind of report.
 */
export async function parseBounceReport(raw: Buffer | string): Promise<BounceReport> {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (size > MAX_REPORT_BYTES) throw new NotABounceReport('the report is larger than 2 MB');
  const mail = await simpleParser(raw, { keepDeliveryStatus: true, skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  const events = new Map<string, BounceEvent>();
  let reports = 0;
  let reportedTo: string | undefined | null = null;
  for (const part of mail.attachments) {
    const type = part.contentType.toLowerCase();
    if (DSN_TYPES.includes(type)) {
      reports += 1;
      // The per-message group has no recipient fields, so every group can be tried as a recipient.
      for (const fields of fieldGroups(part.content.toString('utf8'))) {
        const event = dsnEvent(fields);
        if (event) events.set(event.email!, event);
      }
    } else if (type === 'message/feedback-report') {
      reports += 1;
      const [fields = new Map<string, string>()] = fieldGroups(part.content.toString('utf8'));
      if ((fields.get('feedback-type') ?? 'abuse').toLowerCase() === 'not-spam') continue;
      // Looked up once per report, however many feedback parts it has: each lookup reads the whole text.
      if (reportedTo === null) reportedTo = reportedMessageHeader(mail.attachments, text, 'to');
      const email = address(fields.get('original-rcpt-to') ?? reportedTo);
      events.set(email ?? '(redacted)', email ? { email, type: 'complaint' } : { type: 'complaint' });
    }
  }
  if (reports === 0) throw new NotABounceReport('no message/delivery-status or message/feedback-report part found');
  // The tags a report quotes (the VERP address it was sent to, the Message-ID of the returned
  // message): in the raw text and in each decoded part, since a part may be base64 or quoted-printable.
  const quoted = new Set<string>();
  for (const t of [text, ...mail.attachments.map((a) => a.content.toString('utf8'))]) {
    for (const m of t.matchAll(TAG_SHAPE)) {
      if (quoted.size >= MAX_QUOTED) break;
      quoted.add(m[0].toLowerCase());
    }
  }
  return { events: [...events.values()], quoted: [...quoted] };
}

/**
 * A header of the reported message (the third part of an ARF report). mailparser shows an inline
 * message/rfc822 part as body text rather than as an attachment, so the raw report is read too: one
 * pass over its lines (a part's Content-Type line, the blank line ending that part's headers, then
 * the reported message's header block), linear in the report's size whatever it holds.
 */
function reportedMessageHeader(attachments: { contentType: string; content: Buffer }[], text: string, name: string): string | undefined {
  const attached = attachments.find((a) => /^(message\/rfc822|text\/rfc822-headers)$/i.test(a.contentType));
  if (attached) return fieldGroups(attached.content.toString('utf8'))[0]?.get(name);
  let state: 'scan' | 'part-headers' | 'message-headers' = 'scan';
  let block = '';
  let from = 0;
  while (from <= text.length) {
    let end = text.indexOf('\n', from);
    if (end < 0) end = text.length;
    const line = text.slice(from, end).replace(/\r$/, '');
    from = end + 1;
    if (state === 'scan') {
      if (/^content-type:[ \t]*(message\/rfc822|text\/rfc822-headers)\b/i.test(line)) state = 'part-headers';
    } else if (state === 'part-headers') {
      if (line === '') state = 'message-headers';
    } else {
      if (line === '') break;
      block += `${line}\n`;
    }
  }
  return block ? fieldGroups(block)[0]?.get(name) : undefined;
}

/** Per-recipient DSN fields -> an event (RFC 3464 section 2.3). */
function dsnEvent(fields: Map<string, string>): BounceEvent | undefined {
  const email = address(fields.get('final-recipient') ?? fields.get('original-recipient'));
  if (!email) return undefined;
  const action = (fields.get('action') ?? '').toLowerCase().trim();
  const status = /\b([245])\.\d{1,3}\.\d{1,3}\b/.exec(fields.get('status') ?? '')?.[0];
  const klass = status?.[0];
  if (action === 'delivered' || action === 'relayed' || action === 'expanded' || klass === '2') return undefined;
  if (action === 'delayed') return { email, type: 'soft', status, action };
  if (action === 'failed' || klass) {
    // A "failed" with a 4.x.x status means the reporting MTA gave up on a temporary problem
    // (mailbox full, greylisting that never cleared): worth counting, not worth suppressing at once.
    return { email, type: klass === '4' ? 'soft' : 'hard', status, action };
  }
  return undefined;
}

/** "rfc822; <Budi@Example.com>" -> "budi@example.com". */
function address(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const semi = value.indexOf(';');
  const bare = (semi >= 0 ? value.slice(semi + 1) : value).trim().replace(/^.*</, '').replace(/>.*$/, '').trim();
  const r = normaliseAddress(bare);
  return r.ok ? r.address : undefined;
}

/** RFC 822-style field groups separated by blank lines, continuation lines unfolded, names lowercased. */
function fieldGroups(text: string): Map<string, string>[] {
  const groups: Map<string, string>[] = [];
  let current: Map<string, string> | undefined;
  let last: string | undefined;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (line.trim() === '') {
      current = undefined;
      last = undefined;
      continue;
    }
    if (/^[ \t]/.test(line) && current && last) {
      current.set(last, `${current.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    if (!current) {
      current = new Map();
      groups.push(current);
    }
    last = line.slice(0, colon).trim().toLowerCase();
    // The first occurrence wins: a report lists a field once per group.
    if (!current.has(last)) current.set(last, line.slice(colon + 1).trim());
  }
  return groups;
}
