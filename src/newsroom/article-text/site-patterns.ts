import fs from 'node:fs';

/** One operator pattern from the ARTICLE_BOILERPLATE file. */
export interface SitePattern {
  /** As written in the file. */
  source: string;
  /** Its line in the file. */
  line: number;
  /** true: the pattern ended with `*` and matches lines that start with it. */
  prefix: boolean;
}

export interface SitePatterns {
  readonly size: number;
  /** The pattern a whole line matches, if any. */
  match(text: string): SitePattern | undefined;
}

export class SitePatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SitePatternError';
  }
}

const MAX_FILE_BYTES = 256 * 1024;
const MAX_PATTERNS = 2000;
const MAX_PATTERN_LENGTH = 300;
/** Stands for a number (`{n}` in a pattern, a run of digits in a line) once normalised. */
const NUMBER = '\u0000';

/**
 * Case, runs of spaces (non-breaking ones too) and the value of numbers do not count: lower case,
 * one space, every number one NUMBER mark. One pass, no regex.
 */
export function normaliseForPattern(text: string): string {
  let out = '';
  let space = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\u00a0' || c === '\u202f' || c === '\n' || c === '\r') {
      space = out.length > 0;
      continue;
    }
    if (space) out += ' ';
    space = false;
    if (c >= '0' && c <= '9') {
      // 1.234 and 1,5 are one number
      while (i + 1 < text.length && ((text[i + 1]! >= '0' && text[i + 1]! <= '9') || ((text[i + 1] === '.' || text[i + 1] === ',') && text[i + 2]! >= '0' && text[i + 2]! <= '9'))) i++;
      out += NUMBER;
    } else out += c.toLowerCase();
  }
  return out;
}

interface TrieNode {
  next: Map<string, TrieNode>;
  pattern?: SitePattern;
}

/**
 * Operator patterns are plain text, never regular expressions: a line matches a pattern exactly,
 * or starts with it when the pattern ends with `*`; `{n}` stands for any number. Exact patterns
 * sit in a hash set and prefixes in a trie, so checking a line costs one walk along it, however
 * many patterns there are and whatever the line holds: nothing can backtrack.
 */
export function parseSitePatterns(content: string, name = 'ARTICLE_BOILERPLATE'): SitePatterns {
  const exact = new Map<string, SitePattern>();
  const root: TrieNode = { next: new Map() };
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  let size = 0;
  lines.forEach((raw, index) => {
    const line = index + 1;
    const source = raw.trim();
    if (source === '' || source.startsWith('#')) return;
    const bad = (why: string) => new SitePatternError(`${name} line ${line}: ${why}: ${JSON.stringify(source.slice(0, 80))}`);
    if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(source)) throw bad('control characters are not allowed');
    if (source.length > MAX_PATTERN_LENGTH) throw bad(`longer than ${MAX_PATTERN_LENGTH} characters`);
    const prefix = source.endsWith('*');
    const body = prefix ? source.slice(0, -1) : source;
    if (body.includes('*')) throw bad('a * may only end a pattern (it means "and anything after"); patterns are plain text, not regular expressions');
    const normalised = normaliseForPattern(body.replace(/\{n\}/gi, '0'));
    const letters = normalised.replaceAll(NUMBER, '').replaceAll(' ', '').length;
    if (letters < 3) throw bad('needs at least three letters besides {n} and spaces (it would match too much)');
    const pattern: SitePattern = { source, line, prefix };
    size++;
    if (size > MAX_PATTERNS) throw bad(`more than ${MAX_PATTERNS} patterns`);
    if (!prefix) {
      if (!exact.has(normalised)) exact.set(normalised, pattern);
      return;
    }
    let node = root;
    for (const c of prefix ? normalised.trimEnd() : normalised) {
      let child = node.next.get(c);
      if (!child) node.next.set(c, (child = { next: new Map() }));
      node = child;
    }
    node.pattern ??= pattern;
  });
  return {
    size,
    match(text) {
      const normalised = normaliseForPattern(text);
      const whole = exact.get(normalised);
      if (whole) return whole;
      let node: TrieNode | undefined = root;
      for (const c of normalised) {
        node = node.next.get(c);
        if (!node) return undefined;
        if (node.pattern) return node.pattern;
      }
      return undefined;
    },
  };
}

/** Reads and checks the ARTICLE_BOILERPLATE file at start; any problem names the file and line. */
export function loadSitePatterns(file: string): SitePatterns {
  let content: string;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new Error('not a file');
    if (stat.size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES / 1024} KB`);
    content = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SitePatternError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseSitePatterns(content, file);
}

export const NO_SITE_PATTERNS: SitePatterns = { size: 0, match: () => undefined };
