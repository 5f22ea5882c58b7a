import path from 'node:path';
import { loadSitePatterns, NO_SITE_PATTERNS, type SitePatterns } from '../newsroom/article-text/site-patterns';
import { projectRoot } from '../paths';
import { ConfigError } from './config-error';

/** ARTICLE_BOILERPLATE: the operator's file of site-chrome patterns, read and checked at start. */
export function parseArticleBoilerplate(file: string | undefined): SitePatterns {
  if (!file) return NO_SITE_PATTERNS;
  try {
    return loadSitePatterns(path.resolve(projectRoot, file));
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  ARTICLE_BOILERPLATE: ${(err as Error).message}`);
  }
}
