import { firstWordLength } from './sentences';

/** One line of the text as written, trimmed; `line` counts from 1 in the text given. */
export interface TextLine {
  text: string;
  line: number;
  /** Indented (two spaces or a tab): in hard-wrapped text, the first line of a paragraph. */
  indented: boolean;
}

/**
 * A line after hard wrapping is undone: the physical lines a ~70-column wrap broke apart, joined.
 * `block` numbers the runs of lines between blank lines.
 */
export interface LogicalLine {
  text: string;
  line: number;
  block: number;
}

/**
 * Physical lines, one pass. CR LF, CR, U+2028 are line breaks, U+2029 a paragraph break (a blank
 * line); a line of only spaces or non-breaking spaces is blank. No regex runs over the whole text.
 */
export function textLines(body: string): (TextLine | undefined)[] {
  const out: (TextLine | undefined)[] = [];
  let start = 0;
  let n = 1;
  const push = (end: number) => {
    const raw = body.slice(start, end);
    const text = raw.trim();
    out.push(text === '' ? undefined : { text, line: n, indented: raw.startsWith('  ') || raw.startsWith('\t') || raw.startsWith('\u00a0') });
    n++;
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\n' || c === '\r' || c === '\u2028') {
      push(i);
      if (c === '\r' && body[i + 1] === '\n') i++;
      start = i + 1;
    } else if (c === '\u2029') {
      push(i);
      out.push(undefined);
      start = i + 1;
    }
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
export function wrapColumn(lines: readonly (TextLine | undefined)[]): number | undefined {
  const buckets = new Array<number>(WRAP_MAX + 2).fill(0);
  let count = 0;
  for (const l of lines) {
    if (!l) continue;
    buckets[Math.min(l.text.length, WRAP_MAX + 1)]!++;
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
 * next line is not indented as a new paragraph.
 */
export function logicalLines(lines: readonly (TextLine | undefined)[]): { lines: LogicalLine[]; blankSeparated: boolean } {
  const column = wrapColumn(lines);
  const out: LogicalLine[] = [];
  let block = 0;
  let prev: TextLine | undefined;
  let parts: string[] = [];
  let current: LogicalLine | undefined;
  let blanks = 0;
  const flush = () => {
    if (current) {
      current.text = parts.join(' ');
      out.push(current);
    }
    current = undefined;
    parts = [];
  };
  for (const l of lines) {
    if (!l) {
      if (prev) blanks++;
      flush();
      prev = undefined;
      continue;
    }
    if (!prev && out.length + (current ? 1 : 0) > 0) block++;
    const wrapped = prev !== undefined && column !== undefined && !l.indented && prev.text.length + 1 + firstWordLength(l.text) > column;
    if (!wrapped) {
      flush();
      current = { text: '', line: l.line, block };
    }
    parts.push(l.text);
    prev = l;
  }
  flush();
  // Blank lines count as paragraph separators only between two runs of text, not at the ends.
  return { lines: out, blankSeparated: blanks > 0 && block > 0 };
}
