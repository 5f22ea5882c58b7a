import { firstWordLength } from './sentences';

/**
 * The physical lines of a text, trimmed (`undefined`: a blank line), with their line numbers
 * (from 1) and whether each was indented (two spaces, a tab or a non-breaking space: in
 * hard-wrapped text, the first line of a paragraph). Flat arrays rather than an object a line,
 * so a text of a hundred thousand tiny lines costs little more than one of a few long ones.
 */
export interface TextLines {
  text: (string | undefined)[];
  line: Int32Array;
  indented: Uint8Array;
}

/**
 * The lines after hard wrapping is undone (the physical lines a ~70-column wrap broke apart,
 * joined), as flat arrays: `line` is each one's first physical line, `block` numbers the runs of
 * lines between blank lines.
 */
export interface LogicalLines {
  text: string[];
  line: Int32Array;
  block: Int32Array;
  /** Blank lines stand between runs of text (not just at the ends). */
  blankSeparated: boolean;
}

const isBreak = (c: string) => c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029';
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\u00a0' || c === '\u202f' || c === '\u3000' || c === '\ufeff' || (c >= '\u2000' && c <= '\u200a');

/**
 * Physical lines, in one pass and without regular expressions over the text. CR LF, CR and U+2028
 * are line breaks; U+2029 (paragraph separator) is a line break followed by a blank line; a line
 * of only spaces or non-breaking spaces is blank.
 */
export function textLines(body: string): TextLines {
  let count = 1;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (isBreak(c)) count += c === '\u2029' ? 2 : 1;
    if (c === '\r' && body[i + 1] === '\n') i++;
  }
  // text is filled by push: `new Array(count)` of a large count is a slow dictionary-mode array.
  const out: TextLines = { text: [], line: new Int32Array(count), indented: new Uint8Array(count) };
  let k = 0;
  let n = 1;
  let start = 0;
  const push = (end: number) => {
    let a = start;
    let b = end;
    while (a < b && isSpace(body[a]!)) a++;
    while (b > a && isSpace(body[b - 1]!)) b--;
    out.text.push(a === b ? undefined : body.slice(a, b));
    out.line[k] = n++;
    out.indented[k] = a - start >= 2 || body[start] === '\t' || body[start] === '\u00a0' ? 1 : 0;
    k++;
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (!isBreak(c)) continue;
    push(i);
    if (c === '\r' && body[i + 1] === '\n') i++;
    if (c === '\u2029') {
      out.text.push(undefined);
      out.line[k] = n - 1;
      k++;
    }
    start = i + 1;
  }
  push(body.length);
  return out;
}

const WRAP_MIN = 50;
const WRAP_MAX = 100;

/**
 * The column a hard-wrapped text was broken at, or undefined when it was not: the length nine
 * lines in ten stay within, if that is 50–100 characters and most lines come close to it (text
 * wrapped at 72 fills its lines to 60–72; web copy has one paragraph a line, hundreds long).
 * Counted in buckets, so the cost is one pass whatever the number of lines.
 */
export function wrapColumn(lines: TextLines): number | undefined {
  const buckets = new Array<number>(WRAP_MAX + 2).fill(0);
  let count = 0;
  for (const t of lines.text) {
    if (t === undefined) continue;
    buckets[Math.min(t.length, WRAP_MAX + 1)]!++;
    count++;
  }
  if (count < 3) return undefined;
  let seen = 0;
  let p90 = 0;
  for (let len = 0; len < buckets.length; len++) {
    seen += buckets[len]!;
    if (seen >= Math.ceil(count * 0.9)) {
      p90 = len;
      break;
    }
  }
  if (p90 < WRAP_MIN || p90 > WRAP_MAX) return undefined;
  let near = 0;
  for (let len = p90 - 15; len <= p90; len++) near += buckets[len] ?? 0;
  return near >= count * 0.5 ? p90 : undefined;
}

/**
 * Undoes hard wrapping: a line continues on the next one when the next line's first word would
 * not have fitted within the wrap column (so the break was the wrap's, not the writer's) and the
 * next line is not indented as a new paragraph. `blankSeparated`: blank lines stand between runs
 * of text (not just at the ends), so they, not single line breaks, separate paragraphs.
 */
export function logicalLines(lines: TextLines): LogicalLines {
  const column = wrapColumn(lines);
  const n = lines.text.length;
  const out: LogicalLines = { text: [], line: new Int32Array(n), block: new Int32Array(n), blankSeparated: false };
  let block = 0;
  let prev: string | undefined;
  // The physical lines joined to the logical line being built; most logical lines have none.
  let more: string[] | undefined;
  const flush = () => {
    const k = out.text.length - 1;
    if (k >= 0 && more) out.text[k] = `${out.text[k]} ${more.join(' ')}`;
    more = undefined;
  };
  for (let i = 0; i < n; i++) {
    const t = lines.text[i];
    if (t === undefined) {
      prev = undefined;
      continue;
    }
    if (prev === undefined && out.text.length > 0) block++;
    const wrapped = prev !== undefined && column !== undefined && !lines.indented[i] && prev.length + 1 + firstWordLength(t) > column;
    if (wrapped) (more ??= []).push(t);
    else {
      flush();
      out.line[out.text.length] = lines.line[i]!;
      out.block[out.text.length] = block;
      out.text.push(t);
    }
    prev = t;
  }
  flush();
  out.blankSeparated = block > 0;
  return out;
}
