import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import mjml2html from 'mjml';
import type { Locale } from '../config';
import type { Article } from '../alerts/article';
import { format, type Catalog } from '../i18n';
import { TemplateError, type RenderedEmail } from './render';

export interface DigestRendererOptions {
  catalog: Catalog;
  templatesDir: string;
  siteName: string;
  timeZone: string;
}

/** The daily digest: every story of the day in one email, rendered once per locale (slots left for links). */
export function createDigestRenderer(opts: DigestRendererOptions) {
  const load = (name: string, escape: boolean) =>
    Handlebars.compile(fs.readFileSync(path.join(opts.templatesDir, name), 'utf8'), { noEscape: !escape, strict: false });
  const mjmlTemplate = load('digest.mjml', true);
  const textTemplate = load('digest.txt', false);
  const dates = {
    id: new Intl.DateTimeFormat('id-ID', { dateStyle: 'long', timeZone: opts.timeZone }),
    en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: opts.timeZone }),
  } satisfies Record<Locale, Intl.DateTimeFormat>;

  return async function renderDigest(articles: Article[], locale: Locale, now = new Date()): Promise<RenderedEmail> {
    const e = opts.catalog[locale].email;
    const vars = { siteName: opts.siteName, date: dates[locale].format(now), count: articles.length };
    const view = {
      lang: locale,
      subject: format(e.digestSubject!, vars),
      banner: e.digestBanner,
      heading: e.digestHeading,
      intro: format(e.digestIntro!, vars),
      readMore: e.readMore,
      unsubscribe: e.unsubscribe,
      preferences: e.preferences,
      reason: format(e.digestReason!, vars),
      stories: articles.map((a) => ({ title: a.title, url: a.url, lead: a.summary ?? a.paragraphs[0] ?? '' })),
    };
    let result;
    try {
      result = await mjml2html(mjmlTemplate(view), { validationLevel: 'strict', keepComments: false });
    } catch (err) {
      throw new TemplateError(`digest.mjml: ${(err as Error).message}`);
    }
    if (result.errors.length > 0) throw new TemplateError(`digest.mjml: ${result.errors.map((x) => x.formattedMessage).join('; ')}`);
    return { subject: view.subject, html: result.html, text: textTemplate(view).replace(/\n{3,}/g, '\n\n').trim() + '\n' };
  };
}

export type DigestRenderer = ReturnType<typeof createDigestRenderer>;
