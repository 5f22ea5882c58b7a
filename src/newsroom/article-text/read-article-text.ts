import { bareByline, explicitByline } from './byline';
import { chromeKind, createPromotionMatcher, isBareRelatedLabel, isStoryLine, MAX_CHROME_LENGTH, REASON_TEXT, type LeftOutReason } from './chrome';
import { endsSentence, endsWithAbbreviation, startsLowercase } from './sentences';
import { NO_SITE_PATTERNS, type SitePatterns } from './site-patterns';
import { logicalLines, textLines } from './text-lines';

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
  const lines = logicalLines(textLines(body));
  const { text } = lines;
  const count = text.length;
  // What each line is, as a code (0: story): no object a line, so a text of a hundred thousand
  // tiny lines costs little more than a few long ones.
  const verdict = new Uint8Array(count);
  const details = new Map<number, string>();
  for (let i = 0; i < count; i++) {
    const kind = classify(text[i]!, site);
    if (!kind) continue;
    verdict[i] = REASONS.indexOf(kind.reason) + 1;
    if (kind.detail) details.set(i, kind.detail);
  }
  const reasonOf = (i: number) => (verdict[i] ? REASONS[verdict[i]! - 1] : undefined);
  // A bare "Baca juga:" labels the headline on the line after it.
  for (let i = 0; i + 1 < count; i++) {
    const next = text[i + 1]!;
    if (reasonOf(i) === 'related' && !verdict[i + 1] && next.length <= 200 && isBareRelatedLabel(text[i]!) && !endsSentence(next)) verdict[i + 1] = REASONS.indexOf('related') + 1;
  }
  const byline = findByline(text, verdict, details, opts.author);
  if (keep.size > 0) for (let i = 0; i < count; i++) if (verdict[i] && keep.has(text[i]!)) verdict[i] = 0;

  const paragraphs: string[] = [];
  // The paragraph being built: its first line, and the lines joined to it (most have none).
  let head: string | undefined;
  let more: string[] | undefined;
  let last = -1;
  const flush = () => {
    if (head !== undefined) paragraphs.push(more ? `${head} ${more.join(' ')}` : head);
    head = undefined;
    more = undefined;
  };
  for (let i = 0; i < count; i++) {
    if (verdict[i]) continue;
    const t = text[i]!;
    let join = false;
    if (last >= 0) {
      const before = text[last]!;
      const runsOn = endsWithAbbreviation(before) || (!endsSentence(before) && startsLowercase(t));
      join = runsOn || (lines.blankSeparated && lines.block[last] === lines.block[i] && !(endsSentence(before) && before.length > 100));
    }
    if (join) (more ??= []).push(t);
    else {
      flush();
      head = t;
    }
    last = i;
  }
  flush();
  const leftOut: LeftOutLine[] = [];
  for (let i = 0; i < count; i++) {
    const reason = reasonOf(i);
    if (!reason) continue;
    const detail = details.get(i);
    leftOut.push({ line: lines.line[i]!, text: text[i]!, reason, why: detail ? `${REASON_TEXT[reason]}: ${detail}` : REASON_TEXT[reason] });
  }
  return { paragraphs, byline, leftOut };
}

const REASONS: readonly LeftOutReason[] = ['byline', 'counter', 'share', 'related', 'photo-credit', 'caption', 'timestamp', 'promotion', 'site-pattern'];

function classify(text: string, site: SitePatterns): { reason: LeftOutReason; detail?: string } | undefined {
  if (text.length > MAX_CHROME_LENGTH) return undefined;
  const kind = chromeKind(text, promotion!);
  if (kind) return { reason: kind };
  const pattern = site.size > 0 ? site.match(text) : undefined;
  if (pattern) return { reason: 'site-pattern', detail: `line ${pattern.line} "${pattern.source}"` };
  return undefined;
}

/**
 * The author line: before the story starts (or after it ends), a line that says so ("Oleh …",
 * "By …", "Penulis: …"), or a bare handle or name that the page's chrome follows (the author
 * handle above the comment counter, as in the seed article), or that repeats the author field.
 */
function findByline(text: readonly string[], verdict: Uint8Array, details: Map<number, string>, author: string | undefined): string | undefined {
  const BYLINE = REASONS.indexOf('byline') + 1;
  const isStory = (i: number) => !verdict[i] && isStoryLine(text[i]!);
  let first = 0;
  while (first < text.length && !isStory(first)) first++;
  if (first === text.length) first = -1;
  let lastStory = text.length - 1;
  while (lastStory > first && !isStory(lastStory)) lastStory--;
  const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
  let found: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const inHead = first < 0 || i < first;
    const inTail = lastStory >= 0 && i > lastStory;
    if (verdict[i] || !(inHead || inTail)) continue;
    const explicit = explicitByline(text[i]!);
    const bare = explicit ? undefined : bareByline(text[i]!);
    const chromeNext = i + 1 < text.length && verdict[i + 1]! > 0 && verdict[i + 1] !== BYLINE;
    const name = explicit ?? (bare && ((inHead && chromeNext) || (author !== undefined && same(bare, author))) ? bare : undefined);
    if (!name) continue;
    verdict[i] = BYLINE;
    details.set(i, name);
    found ??= name;
  }
  return found;
}
