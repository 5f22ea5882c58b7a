import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../paths';
import { invalid } from './config-error';
import { LOCALES, type Locale } from './locale';
import { urlString } from './schema';

/** One newsroom feed the watcher polls. */
export interface FeedConfig {
  url: string;
  locale: Locale;
  topics: string[];
  /** false: items go to the daily digest only. */
  breaking: boolean;
}

const feedsSchema = (topics: string[]) =>
  z.array(
    z
      .object({
        url: urlString(['http:', 'https:']),
        locale: z.enum(LOCALES).optional(),
        topics: z.array(z.enum(topics as [string, ...string[]])).optional(),
        breaking: z.boolean().optional(),
      })
      .strict(),
  );

/** FEEDS holds the JSON itself, or (when it does not start with `[`) a path to a file holding it. */
export function parseFeeds(value: string, topics: string[], defaultLocale: Locale): FeedConfig[] {
  let text = value.trim();
  if (!text.startsWith('[')) {
    try {
      text = fs.readFileSync(path.resolve(projectRoot, text), 'utf8');
    } catch (err) {
      throw invalid(`FEEDS: cannot read file ${value} (${(err as Error).message})`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid('FEEDS: is not valid JSON (expected [{"url": "…", "locale": "id", "topics": []}])');
  }
  const parsed = feedsSchema(topics).safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw invalid(`FEEDS: ${i.path.join('.')}: ${i.message}`);
  }
  return parsed.data.map((f) => ({ url: f.url, locale: f.locale ?? defaultLocale, topics: f.topics ?? [], breaking: f.breaking ?? true }));
}
