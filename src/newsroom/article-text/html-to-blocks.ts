import { JSDOM, VirtualConsole } from 'jsdom';
import { REASON_TEXT, type LeftOutReason } from './chrome';
import type { LeftOutLine } from './read-article-text';

// Blocks of text: each starts a paragraph of its own.
const BLOCK = new Set(['P', 'DIV', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'LI', 'UL', 'OL', 'BLOCKQUOTE', 'PRE', 'SECTION', 'ARTICLE', 'HEADER', 'MAIN', 'TABLE', 'THEAD', 'TBODY', 'TR', 'TD', 'TH', 'DL', 'DT', 'DD', 'HR', 'ADDRESS', 'CENTER']);
// Never text of the story, and nothing to report: code, styles, embedded frames and media.
const SILENT = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'IFRAME', 'OBJECT', 'EMBED', 'VIDEO', 'AUDIO', 'SVG', 'CANVAS', 'HEAD', 'META', 'LINK', 'IMG', 'PICTURE', 'SOURCE']);
// Page furniture around the story, reported with its text when it has any.
const FURNITURE: Record<string, LeftOutReason> = { FIGURE: 'caption', FIGCAPTION: 'caption', ASIDE: 'related', NAV: 'share', FOOTER: 'share', FORM: 'promotion', BUTTON: 'share' };
// class or id of a share bar, a "Baca juga" box, a sign-up box, a comment counter …
const CHROME_NAME: [RegExp, LeftOutReason][] = [
  [/(?:^|[\s_-])(?:share|sharing|social|sosmed|bagikan)(?:$|[\s_-])/i, 'share'],
  [/(?:^|[\s_-])(?:related|baca-?juga|bacajuga|read-?also|terkait|recommended|rekomendasi)(?:$|[\s_-])/i, 'related'],
  [/(?:^|[\s_-])(?:newsletter|subscribe|subscription|signup|sign-up|langganan|promo)(?:$|[\s_-])/i, 'promotion'],
  [/(?:^|[\s_-])(?:comments?-?count|komentar)(?:$|[\s_-])/i, 'counter'],
  [/(?:^|[\s_-])(?:caption|wp-caption|credit|photo-credit)(?:$|[\s_-])/i, 'caption'],
];

// The little of the DOM the walk uses (the project declares jsdom's window as any; see src/types).
interface DomNode {
  nodeType: number;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
}
interface DomElement extends DomNode {
  tagName: string;
  getAttribute(name: string): string | null;
}

export interface HtmlText {
  /** One string a block; a <br> inside a block is a line break. */
  paragraphs: string[];
  leftOut: LeftOutLine[];
}

function chromeOf(el: DomElement): LeftOutReason | undefined {
  const furniture = FURNITURE[el.tagName];
  if (furniture) return furniture;
  const names = `${el.getAttribute('class') ?? ''} ${el.getAttribute('id') ?? ''}`.slice(0, 300);
  if (names.trim() === '') return undefined;
  return CHROME_NAME.find(([re]) => re.test(names))?.[1];
}

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
/** Deeper than this, jsdom's cost grows with the square of the depth (2,000 levels: 1.7 s) and it overflows its stack. */
export const MAX_HTML_DEPTH = 400;

/**
 * An upper estimate of how deeply the markup nests, in one pass over the text without parsing:
 * +1 for each start tag that is not void or self-closing, -1 for each end tag.
 */
export function markupDepth(htmlText: string): number {
  let depth = 0;
  let max = 0;
  // Inside a start tag whose element is not void: it opens when its ">" comes without a "/" before.
  let open = false;
  let inTag = false;
  for (let i = 0; i < htmlText.length; i++) {
    const c = htmlText[i]!;
    if (c === '<') {
      if (inTag && open) max = Math.max(max, ++depth);
      const next = htmlText[i + 1] ?? '';
      inTag = false;
      if (next === '/') depth = Math.max(0, depth - 1);
      else if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z')) {
        let j = i + 1;
        while (j < htmlText.length && j - i <= 12 && /[A-Za-z0-9]/.test(htmlText[j]!)) j++;
        open = !VOID.has(htmlText.slice(i + 1, j).toLowerCase());
        inTag = true;
        i = j - 1;
      }
    } else if (c === '>' && inTag) {
      if (open && htmlText[i - 1] !== '/') max = Math.max(max, ++depth);
      inTag = false;
    }
  }
  if (inTag && open) max = Math.max(max, ++depth);
  return max;
}

const squash = (s: string) => s.replace(/[ \t\r\n\f]+/g, ' ');

/**
 * Feed item HTML (content:encoded, description) or an extracted page reduced to paragraphs with
 * jsdom's DOM: block elements make paragraphs, inline ones (links included: the email shows their
 * text) run on, <br> breaks a line. Figures with their captions, asides, share bars, "Baca juga"
 * boxes and sign-up boxes (by element, or by a class or id that says so) are left out and
 * reported. The walk keeps its own stack; markup nested deeper than MAX_HTML_DEPTH is not parsed.
 */
export function htmlToBlocks(htmlText: string): HtmlText {
  // No story nests hundreds of elements deep; such markup is an attack on the parser. It yields
  // no paragraphs (a feed item then falls back to its next field, or its title).
  if (markupDepth(htmlText) > MAX_HTML_DEPTH) return { paragraphs: [], leftOut: [] };
  const dom = new JSDOM(`<body>${htmlText}</body>`, { virtualConsole: new VirtualConsole() });
  const doc = dom.window.document;
  const paragraphs: string[] = [];
  const leftOut: LeftOutLine[] = [];
  let parts: string[] = [];
  const flush = () => {
    const text = parts
      .join('')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .join('\n');
    if (text) paragraphs.push(text);
    parts = [];
  };
  const TEXT_NODE = dom.window.Node.TEXT_NODE;
  const ELEMENT_NODE = dom.window.Node.ELEMENT_NODE;
  const stack: { node: DomNode; leave?: boolean }[] = [];
  const body = doc.body as DomElement;
  for (let i = body.childNodes.length - 1; i >= 0; i--) stack.push({ node: body.childNodes[i]! });
  while (stack.length > 0) {
    const { node, leave } = stack.pop()!;
    if (leave) {
      flush();
      continue;
    }
    if (node.nodeType === TEXT_NODE) {
      parts.push(squash(node.textContent ?? ''));
      continue;
    }
    if (node.nodeType !== ELEMENT_NODE) continue;
    const el = node as DomElement;
    if (SILENT.has(el.tagName)) continue;
    if (el.tagName === 'BR') {
      parts.push('\n');
      continue;
    }
    const chrome = chromeOf(el);
    if (chrome) {
      const text = squash(el.textContent ?? '').trim();
      if (text) leftOut.push({ line: paragraphs.length + 1, text: text.slice(0, 500), reason: chrome, why: `${REASON_TEXT[chrome]} (<${el.tagName.toLowerCase()}> in the HTML)` });
      continue;
    }
    const block = BLOCK.has(el.tagName);
    if (block) {
      flush();
      stack.push({ node: el, leave: true });
    }
    for (let i = el.childNodes.length - 1; i >= 0; i--) stack.push({ node: el.childNodes[i]! });
  }
  flush();
  dom.window.close();
  return { paragraphs, leftOut };
}
