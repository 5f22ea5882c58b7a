import matter from 'gray-matter';

/** What a file or page yields before validation: the fields of the publish request. */
export type ArticleDraft = Record<string, unknown>;

const FRONT_MATTER_FIELDS = ['id', 'title', 'url', 'summary', 'locale', 'topics', 'author', 'publishedAt', 'imageUrl', 'breaking'];

/**
 * Reads an article file: `.json` is the publish request itself; anything else is text or Markdown
 * with optional front matter (title, url, locale, topics, ...). Without a title in front matter the
 * first non-empty line is the title (a leading Markdown `#` dropped) and the rest is the body.
 */
export function parseArticleFile(name: string, content: string): ArticleDraft {
  if (/\.json$/i.test(name)) {
    try {
      return JSON.parse(content) as ArticleDraft;
    } catch (err) {
      throw new ArticleFileError(`${name} is not valid JSON: ${(err as Error).message}`);
    }
  }
  let parsed: matter.GrayMatterFile<string>;
  try {
    // No cache: gray-matter caches by content, and we never parse the same text twice anyway.
    parsed = matter(content.replace(/^\uFEFF/, ''), {});
  } catch (err) {
    throw new ArticleFileError(`${name}: the front matter is not valid YAML: ${(err as Error).message}`);
  }
  const data = parsed.data as Record<string, unknown>;
  const unknown = Object.keys(data).filter((k) => !FRONT_MATTER_FIELDS.includes(k));
  if (unknown.length > 0) throw new ArticleFileError(`${name}: unknown front matter field(s): ${unknown.join(', ')}`);
  const draft: ArticleDraft = { ...data };
  if (typeof draft.topics === 'string') draft.topics = draft.topics.split(/[,;]\s*/).filter(Boolean);
  if (draft.publishedAt instanceof Date) draft.publishedAt = draft.publishedAt.toISOString();
  let body = parsed.content.replace(/\r\n?/g, '\n');
  if (draft.title === undefined) {
    const lines = body.split('\n');
    const first = lines.findIndex((l) => l.trim() !== '');
    if (first < 0) throw new ArticleFileError(`${name} is empty`);
    draft.title = lines[first]!.replace(/^#+\s*/, '').trim();
    body = lines.slice(first + 1).join('\n');
  }
  draft.body = stripMarkdown(body);
  return draft;
}

/** Just enough Markdown removal for an email excerpt: headings, emphasis, links, images. */
function stripMarkdown(text: string): string {
  return text
    .replace(/^#{1,6}\s+/gm, '')
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
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
