import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { RenderedEmail } from './render';

/** What differs between two recipients of the same email. */
export interface Personalisation {
  to: string;
  /** Values for the `%%NAME%%` slots left in the rendered html and text. */
  slots: Record<string, string>;
  /** Extra header values keyed like `slots` (e.g. the List-Unsubscribe URL). */
}

export interface MessageTemplateOptions {
  from: string;
  /** Reply-To, when replies should go somewhere other than From. */
  replyTo?: string;
  /** Domain for Message-ID: the sender's own, so receivers can tie messages to it. */
  messageIdDomain: string;
  rendered: RenderedEmail;
  /** Headers that may hold `%%NAME%%` slots, filled per recipient like the body. */
  headers?: Record<string, string>;
  /** Slot names (without %%) that the html, text and headers may contain. */
  slotNames: readonly string[];
}

// Markers that go through MailComposer once. The body markers carry a non-ASCII character so
// MailComposer picks base64 for them; each then appears in the output as one base64 run we can find.
const MARK = {
  to: 'kilat-recipient@placeholder.invalid',
  messageId: 'kilat-message-id',
  date: 'kilat-message-date',
  text: 'KILATTEXTPART\u00e9',
  html: 'KILATHTMLPART\u00e9',
} as const;

type Piece = string | { slot: 'to' | 'messageId' | 'date' | 'text' | 'html' | `header:${string}` };

/**
 * A MIME message built once by nodemailer's MailComposer (headers encoded, multipart/alternative,
 * text and HTML parts) and cut into fixed pieces around the per-recipient parts. `personalise` only
 * joins strings and base64-encodes the two bodies: no MIME building per recipient.
 */
export class MessageTemplate {
  private readonly idPrefix = randomBytes(9).toString('base64url');
  private sequence = 0;
  private constructor(
    private readonly pieces: Piece[],
    private readonly html: string[],
    private readonly text: string[],
    private readonly headerSlots: Map<string, string[]>,
    private readonly messageIdDomain: string,
  ) {}

  static async build(opts: MessageTemplateOptions): Promise<MessageTemplate> {
    const headers: Record<string, string> = {};
    const headerSlots = new Map<string, string[]>();
    let n = 0;
    for (const [name, value] of Object.entries(opts.headers ?? {})) {
      const marker = `kilat-header-${n++}`;
      headers[name] = marker;
      headerSlots.set(marker, splitSlots(value, opts.slotNames));
    }
    const composer = new MailComposer({
      from: opts.from,
      to: MARK.to,
      subject: opts.rendered.subject,
      messageId: `<${MARK.messageId}@${opts.messageIdDomain}>`,
      // Filled per message: a template may be reused for hours (retries), its Date must not age.
      date: MARK.date,
      ...(opts.replyTo ? { replyTo: opts.replyTo } : {}),
      text: MARK.text,
      html: MARK.html,
      textEncoding: 'base64',
      headers,
    });
    const raw = await new Promise<string>((resolve, reject) =>
      composer.compile().build((err, message) => (err ? reject(err) : resolve(message.toString('utf8')))),
    );
    const markers: [string, Piece][] = [
      [MARK.to, { slot: 'to' }],
      [MARK.messageId, { slot: 'messageId' }],
      [MARK.date, { slot: 'date' }],
      [Buffer.from(MARK.text).toString('base64'), { slot: 'text' }],
      [Buffer.from(MARK.html).toString('base64'), { slot: 'html' }],
      ...[...headerSlots.keys()].map((m): [string, Piece] => [m, { slot: `header:${m}` }]),
    ];
    const pieces: Piece[] = [];
    let rest = raw;
    for (;;) {
      let first: { at: number; marker: string; piece: Piece } | undefined;
      for (const [marker, piece] of markers) {
        const at = rest.indexOf(marker);
        if (at >= 0 && (!first || at < first.at)) first = { at, marker, piece };
      }
      if (!first) break;
      pieces.push(rest.slice(0, first.at), first.piece);
      rest = rest.slice(first.at + first.marker.length);
    }
    pieces.push(rest);
    const found = pieces.filter((p) => typeof p !== 'string').length;
    if (found !== markers.length) throw new Error(`message template: found ${found} of ${markers.length} markers`);
    return new MessageTemplate(
      pieces,
      splitSlots(opts.rendered.html, opts.slotNames),
      splitSlots(opts.rendered.text, opts.slotNames),
      headerSlots,
      opts.messageIdDomain,
    );
  }

  /** The complete RFC 5322 message for one recipient. */
  personalise(p: Personalisation): string {
    const out: string[] = [];
    for (const piece of this.pieces) {
      if (typeof piece === 'string') {
        out.push(piece);
        continue;
      }
      switch (piece.slot) {
        case 'to':
          out.push(p.to);
          break;
        case 'messageId':
          // Unique without a random draw per message (a syscall-priced call at thousands a second).
          out.push(`${this.idPrefix}.${(this.sequence++).toString(36)}`);
          break;
        case 'date':
          out.push(rfc5322Date());
          break;
        case 'text':
          out.push(base64Lines(fill(this.text, p.slots)));
          break;
        case 'html':
          out.push(base64Lines(fill(this.html, p.slots)));
          break;
        default:
          out.push(fill(this.headerSlots.get(piece.slot.slice('header:'.length))!, p.slots));
      }
    }
    return out.join('');
  }

  get domain(): string {
    return this.messageIdDomain;
  }
}

let dateSecond = 0;
let dateText = '';
/** The current time as an RFC 5322 date; formatted at most once a second. */
function rfc5322Date(): string {
  const now = Math.floor(Date.now() / 1000);
  if (now !== dateSecond) {
    dateSecond = now;
    dateText = new Date(now * 1000).toUTCString().replace(/GMT$/, '+0000');
  }
  return dateText;
}

/** Splits text at `%%NAME%%` slots: even indexes are text, odd indexes are slot names. */
function splitSlots(text: string, names: readonly string[]): string[] {
  if (names.length === 0) return [text];
  const pattern = new RegExp(`%%(${names.join('|')})%%`);
  return text.split(pattern);
}

function fill(parts: string[], slots: Record<string, string>): string {
  if (parts.length === 1) return parts[0]!;
  let s = '';
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) s += parts[i];
    else {
      const value = slots[parts[i]!];
      if (value === undefined) throw new Error(`no value for slot ${parts[i]}`);
      s += value;
    }
  }
  return s;
}

function base64Lines(content: string): string {
  const b64 = Buffer.from(content, 'utf8').toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += (i ? '\r\n' : '') + b64.slice(i, i + 76);
  return out;
}
