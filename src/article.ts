import { z } from 'zod';
import { LOCALES, type Locale } from './config';
import { readArticleText, type LeftOutLine } from './newsroom/article-text/read-article-text';
import type { SitePatterns } from './newsroom/article-text/site-patterns';

const httpUrl = z
  .string()
  .max(2048)
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');

// No control characters except tab and newline: they have no place in a headline and CR/LF in a
// subject would be a header-injection attempt.
const line = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must be a single line without control characters');
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v), 'must not contain control characters');

/** The publish request body; unknown fields are an error, not silently dropped. */
export function articleSchema(topics: readonly string[]) {
  return z
    .object({
      id: z.string().trim().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
      title: line(300),
      url: httpUrl.optional(),
      summary: text(2000).optional(),
      body: text(200_000).refine((v) => v.trim().length > 0, 'must not be empty'),
      locale: z.enum(LOCALES).optional(),
      topics: z.array(z.enum(topics as [string, ...string[]])).max(topics.length).optional(),
      author: line(200).optional(),
      publishedAt: z.iso.datetime({ offset: true }).optional(),
      imageUrl: httpUrl.optional(),
      /** false: not a breaking story; it goes only to daily-digest subscribers. Default true. */
      breaking: z.boolean().optional(),
      /** Lines of the body to keep although Kilat would leave them out as site chrome (as listed by a preview). */
      keep: z.array(text(2000)).max(100).optional(),
    })
    .strict();
}

export type ArticleInput = z.infer<ReturnType<typeof articleSchema>>;

/** An article as stored with its alert: locale and topics resolved, body split into paragraphs. */
export interface Article {
  id?: string;
  title: string;
  url?: string;
  summary?: string;
  paragraphs: string[];
  locale: Locale;
  topics: string[];
  author?: string;
  publishedAt?: string;
  imageUrl?: string;
  /** Present (false) only for non-breaking stories, which go to digests only. */
  breaking?: false;
}

/**
 * The article as it is stored and sent. The body is read as newsrooms hand it over
 * (src/newsroom/article-text): paragraphs as a reader sees them, site chrome left out, the author
 * line as the byline when the article names no author. `sitePatterns`: the operator's
 * ARTICLE_BOILERPLATE.
 */
export function toArticle(input: ArticleInput, defaultLocale: Locale, sitePatterns?: SitePatterns): Article {
  return readArticle(input, defaultLocale, sitePatterns).article;
}

/** toArticle, and the lines of the body it left out and why (for --dry-run and previews). */
export function readArticle(input: ArticleInput, defaultLocale: Locale, sitePatterns?: SitePatterns): { article: Article; leftOut: LeftOutLine[] } {
  let text = readArticleText(input.body, { author: input.author, sitePatterns, keep: input.keep });
  // A body that is nothing but what looks like chrome is sent as written: an email without a story
  // helps nobody, and the editor sees in the preview that nothing was left out.
  if (text.paragraphs.length === 0) text = { paragraphs: splitParagraphs(input.body), leftOut: [] };
  const summary = input.summary?.trim() || undefined;
  return {
    article: {
      id: input.id,
      title: input.title,
      url: input.url,
      summary,
      paragraphs: text.paragraphs,
      locale: input.locale ?? defaultLocale,
      topics: [...new Set(input.topics ?? [])],
      author: input.author ?? text.byline,
      publishedAt: input.publishedAt,
      imageUrl: input.imageUrl,
      ...(input.breaking === false ? { breaking: false as const } : {}),
    },
    leftOut: text.leftOut,
  };
}

/** The lead: the summary when one is given, else the first paragraph of the story; also the preheader. */
export function leadOf(article: Pick<Article, 'summary' | 'paragraphs'>): string {
  return article.summary ?? article.paragraphs[0] ?? '';
}

/** Blank lines separate paragraphs; line breaks inside one are folded to spaces. */
export function splitParagraphs(body: string): string[] {
  // Line by line rather than /\s*\n\s*/: that pattern backtracks over every run of spaces
  // (200,000 spaces in a body took about 25 s of the API's event loop).
  return body
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((p) =>
      p
        .split('\n')
        .map((line) => line.trim())
        .join(' ')
        .trim(),
    )
    .filter((p) => p.length > 0);
}

/** No topics on either side means everything matches; otherwise they must share one. */
export function topicsMatch(subscriberTopics: readonly string[], articleTopics: readonly string[]): boolean {
  if (subscriberTopics.length === 0 || articleTopics.length === 0) return true;
  return subscriberTopics.some((t) => articleTopics.includes(t));
}
