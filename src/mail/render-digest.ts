import type { Locale } from '../config';
import type { Article } from '../article';
import { format, type Catalog } from '../i18n';
import { loadTemplate, renderEmail, type RenderedEmail } from './render';

export interface DigestRendererOptions {
  catalog: Catalog;
  templatesDir: string;
  siteName: string;
  timeZone: string;
}

/** The daily digest: every story of the day in one email, rendered once per locale (slots left for links). */
export function createDigestRenderer(opts: DigestRendererOptions) {
  const templates = { mjml: loadTemplate(opts.templatesDir, 'digest.mjml', true), text: loadTemplate(opts.templatesDir, 'digest.txt', false), name: 'digest' };
  const dates = {
    id: new Intl.DateTimeFormat('id-ID', { dateStyle: 'long', timeZone: opts.timeZone }),
    en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: opts.timeZone }),
  } satisfies Record<Locale, Intl.DateTimeFormat>;

  return async function renderDigest(articles: Article[], locale: Locale, now = new Date()): Promise<RenderedEmail> {
    const e = opts.catalog[locale].email;
    const vars = { siteName: opts.siteName, date: dates[locale].format(now), count: articles.length };
    const view = {
      lang: locale,
      subject: format(e.digestSubject, vars),
      banner: e.digestBanner,
      heading: e.digestHeading,
      intro: format(e.digestIntro, vars),
      readMore: e.readMore,
      unsubscribe: e.unsubscribe,
      preferences: e.preferences,
      reason: format(e.digestReason, vars),
      stories: articles.map((a) => ({ title: a.title, url: a.url, lead: a.summary ?? a.paragraphs[0] ?? '' })),
    };
    return renderEmail(templates, view.subject, view);
  };
}

export type DigestRenderer = ReturnType<typeof createDigestRenderer>;
