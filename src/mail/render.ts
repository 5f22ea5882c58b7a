import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import mjml2html from 'mjml';
import type { Locale } from '../config';
import type { Article } from '../alerts/article';
import { format, type Catalog } from '../i18n';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** Per-recipient slots left in rendered emails, filled in by the message template per recipient. */
export const SLOTS = {
  unsubscribeUrl: '%%UNSUBSCRIBE_URL%%',
  preferencesUrl: '%%PREFERENCES_URL%%',
  confirmUrl: '%%CONFIRM_URL%%',
} as const;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export interface RendererOptions {
  catalog: Catalog;
  templatesDir: string;
  siteName: string;
  excerptParagraphs: number;
  timeZone: string;
  confirmTokenTtlHours: number;
}

export interface Renderer {
  /** Renders an alert once for a locale; the result still holds the per-recipient SLOTS. */
  renderAlert(article: Article, locale: Locale): Promise<RenderedEmail>;
  renderConfirmation(locale: Locale): Promise<RenderedEmail>;
}

export function createRenderer(opts: RendererOptions): Renderer {
  const load = (name: string, escape: boolean) =>
    Handlebars.compile(fs.readFileSync(path.join(opts.templatesDir, name), 'utf8'), { noEscape: !escape, strict: false });
  const alertMjml = load('breaking-news.mjml', true);
  const alertText = load('breaking-news.txt', false);
  const confirmMjml = load('confirm.mjml', true);
  const confirmText = load('confirm.txt', false);

  async function compile(mjml: string, name: string): Promise<string> {
    let result;
    try {
      result = await mjml2html(mjml, { validationLevel: 'strict', keepComments: false });
    } catch (err) {
      throw new TemplateError(`${name}: ${(err as Error).message}`);
    }
    if (result.errors.length > 0) {
      throw new TemplateError(`${name}: ${result.errors.map((e) => e.formattedMessage).join('; ')}`);
    }
    return result.html;
  }

  const dateFormats = {
    id: new Intl.DateTimeFormat('id-ID', { dateStyle: 'long', timeStyle: 'short', timeZone: opts.timeZone }),
    en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: opts.timeZone }),
  } satisfies Record<Locale, Intl.DateTimeFormat>;

  return {
    async renderAlert(article, locale) {
      const s = opts.catalog[locale];
      const lead = article.summary ?? article.paragraphs[0] ?? '';
      const rest = article.summary ? article.paragraphs : article.paragraphs.slice(1);
      const topicNames = article.topics.map((t) => s.page.topics[t] ?? t).join(', ');
      const view = {
        lang: locale,
        title: article.title,
        author: article.author,
        publishedAt: article.publishedAt ? `${dateFormats[locale].format(new Date(article.publishedAt))}` : undefined,
        imageUrl: article.imageUrl,
        url: article.url,
        lead,
        paragraphs: rest.slice(0, opts.excerptParagraphs),
        banner: s.email.banner,
        by: s.email.by,
        readMore: s.email.readMore,
        unsubscribe: s.email.unsubscribe,
        preferences: s.email.preferences,
        reason: topicNames
          ? format(s.email.reasonTopics!, { siteName: opts.siteName, topics: topicNames })
          : format(s.email.reasonAll!, { siteName: opts.siteName }),
      };
      return { subject: article.title, html: await compile(alertMjml(view), 'breaking-news.mjml'), text: tidyText(alertText(view)) };
    },

    async renderConfirmation(locale) {
      const s = opts.catalog[locale];
      const vars = { siteName: opts.siteName, hours: opts.confirmTokenTtlHours };
      const view = {
        lang: locale,
        siteName: opts.siteName,
        subject: format(s.email.confirmSubject!, vars),
        heading: s.email.confirmHeading,
        intro: format(s.email.confirmIntro!, vars),
        button: s.email.confirmButton,
        expiry: format(s.email.confirmExpiry!, vars),
        ignore: s.email.confirmIgnore,
      };
      return { subject: view.subject, html: await compile(confirmMjml(view), 'confirm.mjml'), text: tidyText(confirmText(view)) };
    },
  };
}

/** Collapses the blank lines that template conditionals leave behind. */
function tidyText(text: string): string {
  return text.replace(/\n{3,}/g, '\n\n').trim() + '\n';
}
