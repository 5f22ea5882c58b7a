import { simpleParser } from 'mailparser';
import { normaliseAddress } from './email-address';

export type BounceType = 'hard' | 'soft' | 'complaint';

export interface BounceEvent {
  email: string;
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

const DSN_TYPES = ['message/delivery-status', 'message/global-delivery-status'];
const MAX_REPORT_BYTES = 2 * 1024 * 1024;

/**
 * Reads a bounce or complaint report: an RFC 3464 delivery status notification (multipart/report
 * with a message/delivery-status part) or an RFC 5965 abuse report (message/feedback-report).
 * Returns one event per affected recipient; a DSN saying "delivered" or "relayed" yields none.
 * Throws NotABounceReport when the message holds neither kind of report.
 */
export async function parseBounceReport(raw: Buffer | string): Promise<BounceEvent[]> {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (size > MAX_REPORT_BYTES) throw new NotABounceReport('the report is larger than 2 MB');
  const mail = await simpleParser(raw, { keepDeliveryStatus: true, skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  const events = new Map<string, BounceEvent>();
  let reports = 0;
  for (const part of mail.attachments) {
    const type = part.contentType.toLowerCase();
    if (DSN_TYPES.includes(type)) {
      reports += 1;
      // The per-message group has no recipient fields, so every group can be tried as a recipient.
      for (const fields of fieldGroups(part.content.toString('utf8'))) {
        const event = dsnEvent(fields);
        if (event) events.set(event.email, event);
      }
    } else if (type === 'message/feedback-report') {
      reports += 1;
      const [fields = new Map<string, string>()] = fieldGroups(part.content.toString('utf8'));
      if ((fields.get('feedback-type') ?? 'abuse').toLowerCase() === 'not-spam') continue;
      const to = fields.get('original-rcpt-to') ?? reportedMessageHeader(mail.attachments, raw, 'to');
      const email = address(to);
      if (email) events.set(email, { email, type: 'complaint' });
    }
  }
  if (reports === 0) throw new NotABounceReport('no message/delivery-status or message/feedback-report part found');
  return [...events.values()];
}

/**
 * A header of the reported message (the third part of an ARF report). mailparser shows an inline
 * message/rfc822 part as body text rather than as an attachment, so the raw report is searched too.
 */
function reportedMessageHeader(attachments: { contentType: string; content: Buffer }[], raw: Buffer | string, name: string): string | undefined {
  const attached = attachments.find((a) => /^(message\/rfc822|text\/rfc822-headers)$/i.test(a.contentType));
  if (attached) return fieldGroups(attached.content.toString('utf8'))[0]?.get(name);
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  const m = /(?:^|\n)Content-Type:[ \t]*(?:message\/rfc822|text\/rfc822-headers)\b[^]*?\r?\n\r?\n([^]*?)(?:\r?\n\r?\n|$)/i.exec(text);
  return m ? fieldGroups(m[1]!)[0]?.get(name) : undefined;
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
