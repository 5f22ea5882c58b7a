import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import * as mimeFuncs from 'nodemailer/lib/mime-funcs';
import { fillPieces, slotsOf, TemplateError, type Piece, type RenderedEmail } from './render';
import type { SlotName } from './slots';

/** What differs between two recipients of the same email. */
export interface Personalisation {
  to: string;
  /** Values for the slots the template placed in the html, text and headers. */
  slots: Partial<Record<SlotName, string>>;
  /**
   * A signed tag naming this copy (subscriber and message, see MessageTags): it becomes the
   * Message-ID's local part, so a bounce or complaint that quotes the Message-ID can be matched to it.
   */
  tag?: string;
}

export interface MessageTemplateOptions {
  from: string;
  /** Reply-To, when replies should go somewhere other than From. */
  replyTo?: string;
  /** Domain for Message-ID: the sender's own, so receivers can tie messages to it. */
  messageIdDomain: string;
  rendered: RenderedEmail;
  /** Headers whose values may hold slots, filled per recipient like the body (configuration, never content). */
  headers?: Record<string, Piece[]>;
  /** The slots every `personalise` call will give a value for; the template may use no other. */
  slots: readonly SlotName[];
}

type Part = string | { slot: 'to' | 'messageId' | 'date' | 'text' | 'html' } | { header: Piece[] };

const UNSAFE_HEADER_VALUE = /[\r\n\0]/;
const VERBATIM_HEADERS = new Set(['in-reply-to', 'references']);

/**
 * A MIME message built once by nodemailer's MailComposer (headers encoded, multipart/alternative,
 * text and HTML parts) and cut into fixed parts around the per-recipient parts. `personalise` only
 * joins strings and base64-encodes the two bodies: no MIME building per recipient.
 *
 * The markers given to MailComposer are drawn at random for each build and each must come out
 * exactly once: the subject (article text, encoded by MailComposer) cannot know them, so it can
 * neither take a recipient's value nor break the cut.
 */
export class MessageTemplate {
  private readonly idPrefix = randomBytes(9).toString('base64url');
  private sequence = 0;
  private constructor(
    private readonly parts: Part[],
    private readonly html: Piece[],
    private readonly text: Piece[],
    private readonly messageIdDomain: string,
  ) {}

  static async build(opts: MessageTemplateOptions): Promise<MessageTemplate> {
    const provided = new Set(opts.slots);
    const check = (where: string, pieces: Piece[]) => {
      for (const s of slotsOf(pieces)) if (!provided.has(s)) throw new TemplateError(`message template: ${where} uses slot ${s}, which this email does not fill`);
    };
    check('the html part', opts.rendered.html);
    check('the text part', opts.rendered.text);
    const nonce = randomBytes(12).toString('hex');
    // The body markers carry a non-ASCII character so MailComposer picks base64 for them; each then
    // appears in the output as one base64 run (short enough not to be folded) that can be found.
    const mark = {
      to: `k${nonce}to@placeholder.invalid`,
      messageId: `k${nonce}mid`,
      date: `k${nonce}date`,
      text: `K${nonce}T\u00e9`,
      html: `K${nonce}H\u00e9`,
    };
    const headers: Record<string, string> = {};
    // Headers MailComposer formats itself (it would wrap a marker in angle brackets): written as they
    // are, ahead of the ones it writes (header order carries no meaning, RFC 5322 3.6).
    const verbatim: Part[] = [];
    const found: [string, Part][] = [
      [mark.to, { slot: 'to' }],
      [mark.messageId, { slot: 'messageId' }],
      [mark.date, { slot: 'date' }],
      [Buffer.from(mark.text).toString('base64'), { slot: 'text' }],
      [Buffer.from(mark.html).toString('base64'), { slot: 'html' }],
    ];
    let n = 0;
    for (const [name, value] of Object.entries(opts.headers ?? {})) {
      check(`header ${name}`, value);
      if (value.some((p) => typeof p === 'string' && UNSAFE_HEADER_VALUE.test(p))) throw new TemplateError(`message template: header ${name} holds a line break`);
      const marker = `k${nonce}h${n++}`;
      if (VERBATIM_HEADERS.has(name.toLowerCase())) {
        verbatim.push(`${name}: `, { header: value }, '\r\n');
        continue;
      }
      headers[name] = marker;
      found.push([marker, { header: value }]);
    }
    // MailComposer leaves a well-formed encoded word in a subject as it is, and mail clients would
    // then show its decoded text instead of what the article says: such a subject is encoded whole.
    const subject = opts.rendered.subject.includes('=?')
      ? { prepared: true, foldLines: true, value: mimeFuncs.encodeWord(opts.rendered.subject, 'B', 52) }
      : opts.rendered.subject;
    const composer = new MailComposer({
      from: opts.from,
      to: mark.to,
      subject: subject as string,
      messageId: `<${mark.messageId}@${opts.messageIdDomain}>`,
      // Filled per message: a template may be reused for hours (retries), its Date must not age.
      date: mark.date,
      ...(opts.replyTo ? { replyTo: opts.replyTo } : {}),
      text: mark.text,
      html: mark.html,
      textEncoding: 'base64',
      headers,
    });
    const raw = await new Promise<string>((resolve, reject) =>
      composer.compile().build((err, message) => (err ? reject(new TemplateError(`message template: ${err.message}`)) : resolve(message.toString('utf8')))),
    );
    const at = found.map(([marker, part]) => {
      const first = raw.indexOf(marker);
      if (first < 0 || raw.indexOf(marker, first + 1) >= 0) throw new TemplateError(`message template: a marker came out ${first < 0 ? 'missing' : 'twice'}`);
      return { first, marker, part };
    });
    at.sort((a, b) => a.first - b.first);
    const parts: Part[] = [...verbatim];
    let from = 0;
    for (const { first, marker, part } of at) {
      parts.push(raw.slice(from, first), part);
      from = first + marker.length;
    }
    parts.push(raw.slice(from));
    return new MessageTemplate(parts, opts.rendered.html, opts.rendered.text, opts.messageIdDomain);
  }

  /** The complete RFC 5322 message for one recipient. */
  personalise(p: Personalisation): string {
    // Addresses and tags are checked where they are made; a line break here would be a header of its own.
    if (UNSAFE_HEADER_VALUE.test(p.to) || (p.tag !== undefined && !/^[a-z0-9.]{1,64}$/.test(p.tag))) throw new Error('personalise: recipient or tag is not a single clean line');
    // Collected and joined once: a flat string, which the socket writes as it is (a `+=` chain
    // would be a rope that every later reader, dot-stuffing and the socket, flattens again).
    const out: string[] = [];
    for (const part of this.parts) {
      if (typeof part === 'string') {
        out.push(part);
      } else if ('header' in part) {
        out.push(fillPieces(part.header, p.slots));
      } else {
        switch (part.slot) {
          case 'to':
            out.push(p.to);
            break;
          case 'messageId':
            // Unique without a random draw per message (a syscall-priced call at thousands a second).
            out.push(p.tag ?? `${this.idPrefix}.${(this.sequence++).toString(36)}`);
            break;
          case 'date':
            out.push(rfc5322Date());
            break;
          case 'text':
            out.push(base64Lines(fillPieces(this.text, p.slots)));
            break;
          case 'html':
            out.push(base64Lines(fillPieces(this.html, p.slots)));
            break;
        }
      }
    }
    return out.join('');
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

function base64Lines(content: string): string {
  const b64 = Buffer.from(content, 'utf8').toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += (i ? '\r\n' : '') + b64.slice(i, i + 76);
  return out;
}
