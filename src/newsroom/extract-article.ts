import { Readability } from '@mozilla/readability';
import { JSDOM, VirtualConsole } from 'jsdom';
import type { ArticleDraft } from './article-file';
import { htmlToBlocks, markupDepth, MAX_HTML_DEPTH } from './article-text/html-to-blocks';
import { fetchContent, type AllowList } from './fetch-content';

const MAX_BYTES = 5 * 1024 * 1024;

export class ExtractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExtractError';
  }
}

/** Paragraph texts of an HTML fragment, page furniture and site chrome left out (see htmlToBlocks). */
export function htmlToParagraphs(htmlText: string): string[] {
  return htmlToBlocks(htmlText).paragraphs;
}

/**
 * Fetches an article page and keeps only the story: Mozilla's Readability (Firefox Reader View)
 * drops the site chrome (navigation, sign-up boxes, related links) and we keep its paragraphs.
 */
export async function extractArticleFromUrl(url: string, opts: { allow: AllowList; timeoutMs?: number }): Promise<ArticleDraft> {
  let res;
  try {
    res = await fetchContent(url, { allow: opts.allow, timeoutMs: opts.timeoutMs ?? 15_000, maxBytes: MAX_BYTES }, { accept: 'text/html,application/xhtml+xml' });
  } catch (err) {
    throw new ExtractError(`cannot fetch ${url}: ${(err as Error).message}`);
  }
  if (res.status < 200 || res.status > 299) throw new ExtractError(`cannot fetch ${url}: HTTP ${res.status}`);
  const type = res.headers['content-type'] ?? '';
  if (!/html/i.test(type)) throw new ExtractError(`${url} is not an HTML page (content-type: ${type.slice(0, 100) || 'none'})`);
  return extractArticleFromHtml(res.body.toString('utf8'), res.url);
}

export function extractArticleFromHtml(page: string, url: string): ArticleDraft {
  if (markupDepth(page) > MAX_HTML_DEPTH * 2) throw new ExtractError(`the page at ${url} nests its markup too deeply to be read`);
  const dom = new JSDOM(page, { url, virtualConsole: new VirtualConsole() });
  const doc = dom.window.document;
  const canonical = doc.querySelector('link[rel="canonical"]')?.getAttribute('href');
  const ogImage = doc.querySelector('meta[property="og:image"]')?.getAttribute('content');
  const published = doc.querySelector('meta[property="article:published_time"]')?.getAttribute('content');
  const lang = doc.documentElement.lang?.slice(0, 2).toLowerCase();
  const h1 = doc.querySelector('h1')?.textContent ?? '';
  const parsed = new Readability(doc).parse();
  dom.window.close();
  if (!parsed || !parsed.content) throw new ExtractError(`no article found at ${url}`);
  const paragraphs = htmlToParagraphs(parsed.content);
  if (paragraphs.length === 0) throw new ExtractError(`the article at ${url} has no text`);
  const draft: ArticleDraft = {
    title: (parsed.title || h1).replace(/\s+/g, ' ').trim(),
    url: absolute(canonical, url) ?? url,
    body: paragraphs.join('\n\n'),
  };
  if (parsed.byline) draft.author = parsed.byline.replace(/\s+/g, ' ').trim().slice(0, 200);
  if (lang === 'id' || lang === 'en') draft.locale = lang;
  const image = absolute(ogImage, url);
  if (image) draft.imageUrl = image;
  if (published && !Number.isNaN(Date.parse(published))) draft.publishedAt = new Date(published).toISOString();
  return draft;
}

function absolute(href: string | null | undefined, base: string): string | undefined {
  if (!href) return undefined;
  try {
    const u = new URL(href, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}
