import { leadOf, readArticle, type Article, type ArticleInput } from '../../article';
import type { Locale } from '../../config';
import type { LeftOutLine } from './read-article-text';
import type { SitePatterns } from './site-patterns';

export interface DryRunReport extends Article {
  /** What the email opens with and its preheader. */
  lead: string;
  /** Lines of the story file left out, numbered by file line. */
  leftOut: LeftOutLine[];
}

/**
 * `kilat publish --dry-run`: the article exactly as it would be stored and sent, its lead, and every
 * line left out with its line in the file and why, so an editor can `--keep` a line wrongly dropped.
 */
export function dryRunReport(input: ArticleInput, config: { defaultLocale: Locale; articleBoilerplate: SitePatterns }, bodyLine = 1): DryRunReport {
  const { article, leftOut } = readArticle(input, config.defaultLocale, config.articleBoilerplate);
  return { ...article, lead: leadOf(article), leftOut: leftOut.map((l) => ({ ...l, line: l.line + bodyLine - 1 })) };
}
