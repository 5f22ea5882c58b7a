import { parseDocument } from 'yaml';

/** What a file or page yields before validation: the fields of the publish request. */
export type ArticleDraft = Record<string, unknown>;

const FRONT_MATTER_FIELDS = ['id', 'title', 'url', 'summary', 'locale', 'topics', 'author', 'publishedAt', 'imageUrl', 'breaking', 'keep'];

/**
 * Reads an article file: `.json` is the publish request itself; anything else is text or Markdown
 * with optional front matter (title, url, locale, topics, ...). Without a title in front matter the
 * first non-empty line is the title (a leading Markdown `#` dropped) and the rest is the body.
 */
export function parseArticleFile(name: string, content: string): ArticleDraft {
  return readArticleFile(name, content).draft;
}

/** parseArticleFile, and the file line the body starts on (so left-out lines can be named by file line). */
export function readArticleFile(name: string, content: string): { draft: ArticleDraft; bodyLine: number } {
  if (/\.json$/i.test(name)) {
    try {
      return { draft: JSON.parse(content) as ArticleDraft, bodyLine: 1 };
    } catch (err) {
      throw new ArticleFileError(`${name} is not valid JSON: ${(err as Error).message}`);
    }
  }
  const text = content.replace(/^\uFEFF/, '');
  const { data, content: rest } = splitFrontMatter(name, text);
  const unknown = Object.keys(data).filter((k) => !FRONT_MATTER_FIELDS.includes(k));
  if (unknown.length > 0) throw new ArticleFileError(`${name}: unknown front matter field(s): ${unknown.join(', ')}`);
  const draft: ArticleDraft = { ...data };
  if (typeof draft.topics === 'string') draft.topics = draft.topics.split(/[,;]\s*/).filter(Boolean);
  let body = rest.replace(/\r\n?/g, '\n');
  let bodyLine = lineCount(text.slice(0, text.length - rest.length)) + 1;
  if (draft.title === undefined) {
    const lines = body.split('\n');
    const first = lines.findIndex((l) => l.trim() !== '');
    if (first < 0) throw new ArticleFileError(`${name} is empty`);
    draft.title = lines[first]!.replace(/^#+\s*/, '').trim();
    body = lines.slice(first + 1).join('\n');
    bodyLine += first + 1;
  }
  // stripMarkdown trims: the blank lines it drops at the start still count.
  bodyLine += lineCount(body.slice(0, body.length - body.trimStart().length));
  draft.body = stripMarkdown(body);
  return { draft, bodyLine };
}

const lineCount = (s: string) => {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
};

/**
 * Front matter is data, never code: a `---` line (or `---yaml`, `---json`) opens it and a `---` or
 * `...` line closes it, and what lies between is parsed by the `yaml` package with its core schema
 * (JSON is YAML too). Any other language after the opening dashes (`---js`, `---coffee`: engines
 * other front-matter parsers evaluate) is refused, as are custom tags and alias bombs.
 */
function splitFrontMatter(name: string, text: string): { data: Record<string, unknown>; content: string } {
  const open = /^---[ \t]*([A-Za-z]*)[ \t]*\r?\n/.exec(text);
  if (!open) return { data: {}, content: text };
  const language = open[1]!.toLowerCase();
  if (language !== '' && language !== 'yaml' && language !== 'yml' && language !== 'json') {
    throw new ArticleFileError(`${name}: front matter in "${open[1]}" is not accepted; write it in YAML (or JSON) between --- lines`);
  }
  const close = /^(?:---|\.\.\.)[ \t]*$/m;
  const after = text.slice(open[0].length);
  const end = close.exec(after);
  if (!end) throw new ArticleFileError(`${name}: the front matter opened on the first line is never closed with a --- line`);
  let data: unknown;
  try {
    const doc = parseDocument(after.slice(0, end.index), { schema: 'core', merge: false, uniqueKeys: true, strict: true, prettyErrors: false });
    // A tag the core schema does not know (`!!js/function` and the like) is only a warning to the
    // yaml package; here it is as bad as a syntax error.
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) throw problem;
    data = doc.toJS({ maxAliasCount: 10 });
  } catch (err) {
    throw new ArticleFileError(`${name}: the front matter is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ArticleFileError(`${name}: the front matter must be a set of fields (title: …), not a list or a single value`);
  return { data: data as Record<string, unknown>, content: after.slice(end.index + end[0].length).replace(/^\r?\n/, '') };
}

/** Just enough Markdown removal for an email excerpt: headings, emphasis, links, images. */
function stripMarkdown(text: string): string {
  return text
    .replace(/^#{1,6}\s+/gm, '')
    // No bracket or parenthesis inside the brackets and parentheses: a scan from one "[" stops at
    // the next, so a file of a hundred thousand "![" is read once, not once per "[" (quadratic).
    .replace(/!\[[^[\]\n]*\]\([^()\n]*\)/g, '')
    .replace(/\[([^[\]\n]+)\]\([^()\n]*\)/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/^>\s?/gm, '')
    .trim();
}

export class ArticleFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArticleFileError';
  }
}
