import { bareByline, explicitByline } from './byline';
import { chromeKind, createPromotionMatcher, isBareRelatedLabel, isStoryLine, MAX_CHROME_LENGTH, REASON_TEXT, type LeftOutReason } from './chrome';
import { endsSentence, endsWithAbbreviation, startsLowercase } from './sentences';
import { NO_SITE_PATTERNS, type SitePatterns } from './site-patterns';
import { logicalLines, textLines, type LogicalLine } from './text-lines';

/** A line of the text that is not in the email, and why: what --dry-run and /admin list. */
export interface LeftOutLine {
  /** Line number in the text given (the body; the CLI adds the lines before it in the file). */
  line: number;
  text: string;
  reason: LeftOutReason;
  /** The reason in words, for editors. */
  why: string;
}

export interface ArticleText {
  paragraphs: string[];
  /** The author line found in the text, if any. */
  byline?: string;
  leftOut: LeftOutLine[];
}

export interface ReadOptions {
  /** The article's own author field: a line naming the same person is the byline. */
  author?: string;
  /** The operator's ARTICLE_BOILERPLATE. */
  sitePatterns?: SitePatterns;
  /** Lines the editor keeps although a rule would leave them out (compared as written, trimmed). */
  keep?: readonly string[];
}

let promotion: ((text: string) => boolean) | undefined;

/**
 * A story as newsrooms hand it over (text copied from a CMS or a web page, a story file, a form, a
 * feed item's HTML reduced to text) read into the paragraphs a reader sees:
 *
 * 1. Hard wrapping is undone (lines broken at a ~70-column margin are joined back).
 * 2. Site chrome is left out line by line: the author line (kept as the byline), comment and share
 *    counters, share buttons, "Baca juga" / "Read also" / "Related" links, photo credits standing
 *    alone, date lines, Kilat's own sign-up promotion and the operator's site patterns. Each is
 *    reported with its line and reason; `keep` overrules any of them.
 * 3. Paragraphs: in a text with blank lines, blank lines separate them and a single line break
 *    inside one is a space, unless a whole paragraph stands on that line; in a text without blank
 *    lines every line is one. Either way a line that ends mid-sentence ("Jenderal.", "Jl.", no full
 *    stop before a lower-case word) runs on into the next.
 *
 * Linear in the text: one pass to split lines, one to join them, and per line only anchored
 * patterns over at most MAX_CHROME_LENGTH characters and a trie walk for the site patterns.
 */
export function readArticleText(body: string, opts: ReadOptions = {}): ArticleText {
  promotion ??= createPromotionMatcher();
  const site = opts.sitePatterns ?? NO_SITE_PATTERNS;
  const keep = new Set((opts.keep ?? []).map((k) => k.trim()));
  const { lines, blankSeparated } = logicalLines(textLines(body));

  const verdict: (LeftOutLine | undefined)[] = lines.map((l) => classify(l, site));
  // A bare "Baca juga:" labels the headline on the line after it.
  for (let i = 0; i + 1 < lines.length; i++) {
    const next = lines[i + 1]!;
    if (verdict[i]?.reason === 'related' && isBareRelatedLabel(lines[i]!.text) && !verdict[i + 1] && next.text.length <= 200 && !endsSentence(next.text)) {
      verdict[i + 1] = leftOut(next, 'related');
    }
  }
  const byline = findByline(lines, verdict, opts.author);
  for (let i = 0; i < lines.length; i++) if (verdict[i] && keep.has(lines[i]!.text)) verdict[i] = undefined;

  const paragraphs: string[] = [];
  // The paragraph being built: its first line, and the lines joined to it (most have none).
  let head: string | undefined;
  let more: string[] | undefined;
  let last: LogicalLine | undefined;
  const flush = () => {
    if (head !== undefined) paragraphs.push(more ? `${head} ${more.join(' ')}` : head);
    head = undefined;
    more = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    if (verdict[i]) continue;
    const l = lines[i]!;
    let join = false;
    if (last) {
      const runsOn = endsWithAbbreviation(last.text) || (!endsSentence(last.text) && startsLowercase(l.text));
      join = runsOn || (blankSeparated && last.block === l.block && !(endsSentence(last.text) && last.text.length > 100));
    }
    if (join) (more ??= []).push(l.text);
    else {
      flush();
      head = l.text;
    }
    last = l;
  }
  flush();
  return { paragraphs, byline, leftOut: verdict.filter((v): v is LeftOutLine => v !== undefined) };
}

function leftOut(l: LogicalLine, reason: LeftOutReason, detail?: string): LeftOutLine {
  return { line: l.line, text: l.text, reason, why: detail ? `${REASON_TEXT[reason]}: ${detail}` : REASON_TEXT[reason] };
}

function classify(l: LogicalLine, site: SitePatterns): LeftOutLine | undefined {
  if (l.text.length > MAX_CHROME_LENGTH) return undefined;
  const kind = chromeKind(l.text, promotion!);
  if (kind) return leftOut(l, kind);
  const pattern = site.size > 0 ? site.match(l.text) : undefined;
  if (pattern) return leftOut(l, 'site-pattern', `line ${pattern.line} "${pattern.source}"`);
  return undefined;
}

/**
 * The author line: before the story starts (or after it ends), a line that says so ("Oleh …",
 * "By …", "Penulis: …"), or a bare handle or name that the page's chrome follows (the author
 * handle above the comment counter, as in the seed article), or that repeats the author field.
 */
function findByline(lines: readonly LogicalLine[], verdict: (LeftOutLine | undefined)[], author: string | undefined): string | undefined {
  const isStory = (i: number) => !verdict[i] && isStoryLine(lines[i]!.text);
  let first = 0;
  while (first < lines.length && !isStory(first)) first++;
  if (first === lines.length) first = -1;
  let lastStory = lines.length - 1;
  while (lastStory > first && !isStory(lastStory)) lastStory--;
  const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
  let found: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const inHead = first < 0 || i < first;
    const inTail = lastStory >= 0 && i > lastStory;
    if (verdict[i] || !(inHead || inTail)) continue;
    const text = lines[i]!.text;
    const explicit = explicitByline(text);
    const bare = explicit ? undefined : bareByline(text);
    const chromeNext = verdict[i + 1] !== undefined && verdict[i + 1]!.reason !== 'byline';
    const name = explicit ?? (bare && ((inHead && chromeNext) || (author !== undefined && same(bare, author))) ? bare : undefined);
    if (!name) continue;
    verdict[i] = leftOut(lines[i]!, 'byline', name);
    found ??= name;
  }
  return found;
}
