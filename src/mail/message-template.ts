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
type HeadPart = string | { slot: 'to' | 'messageId' | 'date' } | { header: Piece[] };
type BodyPart = { text: string; bytes: Buffer } | { slot: 'text' | 'html'; encoder: Base64Body };

/**
 * One recipient's copy as it goes on the wire: the shared constant Buffers of the template and a few
 * of its own (the header section, the base64 lines around each slot value). By construction it needs
 * no dot-stuffing and no line-end repair: every line ends in CRLF, none starts with "." (headers start
 * with a name or folding white space, base64 has no "."), none is longer than 998 characters, and the
 * last ends in CRLF (RFC 5321 4.5.2, 4.5.3.1.6; RFC 5322 2.1.1).
 */
export interface MessageCopy {
  readonly chunks: readonly Buffer[];
  /** Bytes in all chunks (what SIZE= declares). */
  readonly size: number;
  /** The header section as text, ending with the empty line: chunks[0] is its bytes. */
  readonly head: string;
  /**
   * The body (chunks[1..]) is already in relaxed canonical form (RFC 6376 3.4.4): no white space
   * runs, none at line ends, one final CRLF. A DKIM signer then hashes the chunks as they are.
   */
  readonly bodyCanonical: boolean;
}

const UNSAFE_HEADER_VALUE = /[\r\n\0]/;
// A header line must stay within 998 characters (RFC 5322 2.1.1) with a value put in it.
const MAX_HEADER_VALUE = 900;
// A per-recipient header value may be folded (CRLF then a space or tab: still the same header, as a
// follow-up's References is); any other line break would start a header of its own.
const FOLDED_HEADER_VALUE = /^(?:[^\r\n\0]|\r\n[ \t])*$/;
const cleanHeaderValue = (v: string) => FOLDED_HEADER_VALUE.test(v) && v.split('\r\n').every((line) => line.length <= MAX_HEADER_VALUE);
const CRLF = Buffer.from('\r\n', 'latin1');
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
  private readonly head: HeadPart[];
  private readonly body: BodyPart[];
  private readonly bodyCanonical: boolean;
  private constructor(
    parts: Part[],
    private readonly html: Piece[],
    private readonly text: Piece[],
    private readonly messageIdDomain: string,
  ) {
    // The header section ends at the first empty line, inside one of the fixed strings.
    const at = parts.findIndex((p) => typeof p === 'string' && p.includes('\r\n\r\n'));
    if (at < 0) throw new TemplateError('message template: no end of the header section');
    const split = parts[at] as string;
    const end = split.indexOf('\r\n\r\n') + 4;
    this.head = [];
    for (const p of [...parts.slice(0, at), split.slice(0, end)]) {
      if (typeof p !== 'string' && 'slot' in p && (p.slot === 'text' || p.slot === 'html')) throw new TemplateError('message template: a body part came out among the headers');
      this.head.push(p as HeadPart);
    }
    const rest: Part[] = [split.slice(end), ...parts.slice(at + 1)];
    this.body = [];
    let afterBody = false;
    for (const p of rest) {
      if (typeof p === 'string') {
        // Each body part's lines end in CRLF here; the CRLF MailComposer put before the boundary goes.
        const text = afterBody ? dropLeadingCrlf(p) : p;
        if (text !== '') this.body.push({ text, bytes: Buffer.from(text, 'latin1') });
        afterBody = false;
      } else if ('slot' in p && (p.slot === 'text' || p.slot === 'html')) {
        this.body.push({ slot: p.slot, encoder: new Base64Body(p.slot === 'text' ? this.text : this.html) });
        afterBody = true;
      } else {
        throw new TemplateError('message template: a header part came out in the body');
      }
    }
    const fixed = this.body.filter((p): p is { text: string; bytes: Buffer } => 'text' in p);
    // Every fixed body string starts a line, as does the message; a header string may follow a value.
    const lineStarts = new Set([this.head[0], ...fixed.map((f) => f.text)]);
    for (const p of [...this.head.filter((h): h is string => typeof h === 'string'), ...fixed.map((f) => f.text)]) {
      if (!/^[\x00-\x7f]*$/.test(p) || /\n\.|[^\r]\n|\r(?!\n)|^\n/.test(p) || (lineStarts.has(p) && p.startsWith('.')) || p.split('\r\n').some((l) => l.length > 998)) {
        throw new TemplateError('message template: MailComposer produced a line that is not 7-bit, CRLF, dot-free and at most 998 characters');
      }
    }
    const last = fixed[fixed.length - 1];
    if (!last || !last.text.endsWith('\r\n')) throw new TemplateError('message template: the message does not end with a line end');
    this.bodyCanonical = fixed.every((f) => !/[ \t]\r\n|\t| {2}/.test(f.text)) && !last.text.endsWith('\r\n\r\n');
  }

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

  /**
   * The complete RFC 5322 message for one recipient, as one string: previews, confirmations, and the
   * reference the copies sent by `copy` are tested against byte for byte.
   */
  personalise(p: Personalisation): string {
    // Collected and joined once: a flat string, which the socket writes as it is (a `+=` chain
    // would be a rope that every later reader, dot-stuffing and the socket, flattens again).
    const out: string[] = [this.headText(p)];
    for (const part of this.body) {
      if ('text' in part) out.push(part.text);
      else out.push(base64Lines(fillPieces(part.slot === 'text' ? this.text : this.html, p.slots)), '\r\n');
    }
    return out.join('');
  }

  /**
   * One recipient's copy as a vector of Buffers for the socket: the header section (small, made per
   * copy), the constant body chunks shared by every copy, and for each slot only the base64 lines
   * its value touches. Nothing of the ~21 KB body is encoded or allocated again.
   */
  copy(p: Personalisation): MessageCopy {
    const head = this.headText(p);
    const chunks: Buffer[] = [Buffer.from(head, 'utf8')];
    for (const part of this.body) {
      if ('text' in part) chunks.push(part.bytes);
      else part.encoder.encode(p.slots, chunks);
    }
    let size = 0;
    for (const c of chunks) size += c.length;
    return { chunks, size, head, bodyCanonical: this.bodyCanonical };
  }

  private headText(p: Personalisation): string {
    // Addresses and tags are checked where they are made; a line break here would be a header of its own.
    if (UNSAFE_HEADER_VALUE.test(p.to) || p.to.length > MAX_HEADER_VALUE || (p.tag !== undefined && !/^[a-z0-9.]{1,64}$/.test(p.tag))) {
      throw new Error('personalise: recipient or tag is not a single clean line');
    }
    const out: string[] = [];
    for (const part of this.head) {
      if (typeof part === 'string') {
        out.push(part);
      } else if ('header' in part) {
        const value = fillPieces(part.header, p.slots);
        if (!cleanHeaderValue(value)) throw new Error('personalise: a header value is not a clean (folded) line of at most 900 characters');
        out.push(value);
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

function dropLeadingCrlf(s: string): string {
  if (!s.startsWith('\r\n')) throw new TemplateError('message template: a body part is not followed by a line end');
  return s.slice(2);
}

// Bytes per base64 line: 57 in, 76 out (RFC 2045 6.8), as base64Lines cuts them.
const LINE_IN = 57;

/** `bytes` as base64 lines of 76 characters, each ending in CRLF; the last may be shorter. */
function encodeLines(bytes: Buffer): Buffer {
  const lines = Math.ceil(bytes.length / LINE_IN);
  const out = Buffer.allocUnsafe(Math.ceil(bytes.length / 3) * 4 + lines * 2);
  let o = 0;
  for (let i = 0; i < bytes.length; i += LINE_IN) {
    o += out.write(bytes.toString('base64', i, Math.min(i + LINE_IN, bytes.length)), o, 'latin1');
    out[o++] = 13;
    out[o++] = 10;
  }
  return out;
}

/**
 * One body part (the text or the HTML) as base64 lines, made from a piece list per recipient with
 * only the lines around each slot value encoded anew. Base64 lines of 57 input bytes concatenate, so
 * a constant piece that starts `k` bytes into a line (k depends on the lengths of the values before
 * it) is, after its first 57−k bytes, a run of whole lines that is the same for every copy with that
 * `k`: encoded once per (piece, k) and shared. The output is byte for byte base64Lines(fillPieces()).
 */
class Base64Body {
  private readonly pieces: ({ bytes: Buffer; runs: (Buffer | undefined)[] } | { slot: SlotName })[];

  constructor(pieces: readonly Piece[]) {
    this.pieces = pieces.map((p) => (typeof p === 'string' ? { bytes: Buffer.from(p, 'utf8'), runs: [] } : { slot: p.slot }));
  }

  encode(values: Partial<Record<SlotName, string>>, out: Buffer[]): void {
    // Bytes not yet encoded: less than a line's worth, or a line's worth waiting for the rest of it.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let wrote = false;
    for (const piece of this.pieces) {
      if ('slot' in piece) {
        const v = values[piece.slot];
        if (v === undefined) throw new TemplateError(`no value for slot ${piece.slot}`);
        const b = Buffer.from(v, 'utf8');
        pending.push(b);
        pendingBytes += b.length;
        continue;
      }
      const bytes = piece.bytes;
      const fill = (LINE_IN - (pendingBytes % LINE_IN)) % LINE_IN;
      if (bytes.length <= fill) {
        pending.push(bytes);
        pendingBytes += bytes.length;
        continue;
      }
      if (pendingBytes > 0) {
        pending.push(bytes.subarray(0, fill));
        out.push(encodeLines(Buffer.concat(pending, pendingBytes + fill)));
        wrote = true;
      }
      const whole = Math.floor((bytes.length - fill) / LINE_IN) * LINE_IN;
      if (whole > 0) {
        let run = piece.runs[fill];
        if (!run) run = piece.runs[fill] = encodeLines(bytes.subarray(fill, fill + whole));
        out.push(run);
        wrote = true;
      }
      const tail = bytes.subarray(fill + whole);
      pending = tail.length > 0 ? [tail] : [];
      pendingBytes = tail.length;
    }
    if (pendingBytes > 0) out.push(encodeLines(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes)));
    // An empty part is an empty line, as base64Lines('') followed by the boundary's CRLF makes it.
    else if (!wrote) out.push(CRLF);
  }
}
