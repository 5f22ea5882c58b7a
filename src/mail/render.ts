import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import mjml2html from 'mjml';
import type { Locale } from '../config';
import type { Article } from '../article';
import { format, type Catalog } from '../i18n';
import { SLOT_NAMES, type SlotName } from './slots';


/** Rendered text cut at the places the template put a per-recipient value. */
export type Piece = string | { slot: SlotName };

export interface RenderedEmail {
  subject: string;
  html: Piece[];
  text: Piece[];
}

/** A template that cannot be rendered whatever the content: a bug or a broken file, never an article's fault. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/**
 * Where the per-recipient values go is decided by the template alone. Each render draws a random
 * nonce; the `slot` helper writes a marker made of it (letters and digits only, so neither
 * Handlebars' escaping nor MJML changes it) and counts what it wrote. The output is then cut at the
 * markers, and each must occur exactly as often as the template wrote it. Article, feed or file
 * text is fixed before the nonce exists, so no content can produce a marker or name a slot: a
 * `%%PREFERENCES_URL%%` or `{{slot …}}` in an article is just text.
 */
export function renderWithSlots(template: Handlebars.TemplateDelegate, view: object, name: string): { output: string; cut(output: string): Piece[] } {
  const nonce = randomBytes(16).toString('hex');
  const prefix = `kslot${nonce}n`;
  const written = new Map<SlotName, number>();
  const slot = (slotName: unknown) => {
    const i = SLOT_NAMES.indexOf(slotName as SlotName);
    if (i < 0) throw new TemplateError(`${name}: unknown slot ${String(slotName)}`);
    written.set(SLOT_NAMES[i]!, (written.get(SLOT_NAMES[i]!) ?? 0) + 1);
    return `${prefix}${i}e`;
  };
  let output: string;
  try {
    output = template(view, { helpers: { slot } });
  } catch (err) {
    if (err instanceof TemplateError) throw err;
    throw new TemplateError(`${name}: ${(err as Error).message}`);
  }
  return {
    output,
    cut(rendered: string): Piece[] {
      const pieces: Piece[] = [];
      const found = new Map<SlotName, number>();
      let from = 0;
      for (let at = rendered.indexOf(prefix); at >= 0; at = rendered.indexOf(prefix, from)) {
        const slotName = SLOT_NAMES[Number(rendered[at + prefix.length])];
        if (!slotName || rendered[at + prefix.length + 1] !== 'e') throw new TemplateError(`${name}: a slot marker was cut apart`);
        pieces.push(rendered.slice(from, at), { slot: slotName });
        found.set(slotName, (found.get(slotName) ?? 0) + 1);
        from = at + prefix.length + 2;
      }
      pieces.push(rendered.slice(from));
      for (const s of SLOT_NAMES) {
        if ((found.get(s) ?? 0) !== (written.get(s) ?? 0)) {
          throw new TemplateError(`${name}: slot ${s} placed ${written.get(s) ?? 0} time(s) but found ${found.get(s) ?? 0} time(s) in the output`);
        }
      }
      return pieces.filter((p) => p !== '');
    },
  };
}

/** A piece list as one string, with `values` for the slots (a preview, or one recipient's copy). */
export function fillPieces(pieces: readonly Piece[], values: Partial<Record<SlotName, string>>): string {
  if (pieces.length === 1 && typeof pieces[0] === 'string') return pieces[0];
  let s = '';
  for (const p of pieces) {
    if (typeof p === 'string') s += p;
    else {
      const v = values[p.slot];
      if (v === undefined) throw new TemplateError(`no value for slot ${p.slot}`);
      s += v;
    }
  }
  return s;
}

/** The slots a piece list uses. */
export function slotsOf(pieces: readonly Piece[]): Set<SlotName> {
  return new Set(pieces.filter((p): p is { slot: SlotName } => typeof p !== 'string').map((p) => p.slot));
}

/** Loads a template file; `escape` for MJML (HTML-escaped values), not for the plain-text part. */
export function loadTemplate(templatesDir: string, name: string, escape: boolean): Handlebars.TemplateDelegate {
  return Handlebars.compile(fs.readFileSync(path.join(templatesDir, name), 'utf8'), { noEscape: !escape, strict: false });
}

/** MJML to HTML; any error is the template's (content arrives escaped and cannot make markup). */
export async function compileMjml(mjml: string, name: string): Promise<string> {
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

/** Renders one email (an MJML and a text template over the same view) into pieces cut at the slots. */
export async function renderEmail(
  templates: { mjml: Handlebars.TemplateDelegate; text: Handlebars.TemplateDelegate; name: string },
  subject: string,
  view: object,
): Promise<RenderedEmail> {
  const mjml = renderWithSlots(templates.mjml, view, `${templates.name}.mjml`);
  const html = mjml.cut(await compileMjml(mjml.output, `${templates.name}.mjml`));
  const text = renderWithSlots(templates.text, view, `${templates.name}.txt`);
  return { subject, html, text: text.cut(tidyText(text.output)) };
}

export interface RendererOptions {
  catalog: Catalog;
  templatesDir: string;
  siteName: string;
  excerptParagraphs: number;
  timeZone: string;
  confirmTokenTtlHours: number;
  /** CLICK_TRACKING=on: "Read more" is the reader's tracked link (slot READ_MORE_URL), and the footer says so. */
  clickTracking?: boolean;
}

/** A follow-up alert: the subject of the story's first alert (kept, so mail clients group them). */
export interface AlertUpdate {
  subject: string;
}

export interface Renderer {
  /**
   * Renders an alert once for a locale; the per-recipient values are left as slots. `update`: a
   * follow-up, sent under the story's first subject with the update banner and what changed first.
   */
  renderAlert(article: Article, locale: Locale, update?: AlertUpdate): Promise<RenderedEmail>;
  renderConfirmation(locale: Locale): Promise<RenderedEmail>;
}

export function createRenderer(opts: RendererOptions): Renderer {
  const alert = { mjml: loadTemplate(opts.templatesDir, 'breaking-news.mjml', true), text: loadTemplate(opts.templatesDir, 'breaking-news.txt', false), name: 'breaking-news' };
  const confirm = { mjml: loadTemplate(opts.templatesDir, 'confirm.mjml', true), text: loadTemplate(opts.templatesDir, 'confirm.txt', false), name: 'confirm' };

  const dateFormats = {
    id: new Intl.DateTimeFormat('id-ID', { dateStyle: 'long', timeStyle: 'short', timeZone: opts.timeZone }),
    en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: opts.timeZone }),
  } satisfies Record<Locale, Intl.DateTimeFormat>;

  return {
    async renderAlert(article, locale, update) {
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
        banner: update ? s.email.updateBanner : s.email.banner,
        updateNote: update ? format(s.email.updateNote, { original: update.subject }) : undefined,
        updateLead: update ? s.email.updateLead : undefined,
        by: s.email.by,
        readMore: s.email.readMore,
        tracked: opts.clickTracking === true,
        clickDisclosure: format(s.email.clickDisclosure, { siteName: opts.siteName, readMore: s.email.readMore }),
        unsubscribe: s.email.unsubscribe,
        preferences: s.email.preferences,
        reason: topicNames
          ? format(s.email.reasonTopics, { siteName: opts.siteName, topics: topicNames })
          : format(s.email.reasonAll, { siteName: opts.siteName }),
      };
      return renderEmail(alert, update ? update.subject : article.title, view);
    },

    async renderConfirmation(locale) {
      const s = opts.catalog[locale];
      const vars = { siteName: opts.siteName, hours: opts.confirmTokenTtlHours };
      const view = {
        lang: locale,
        siteName: opts.siteName,
        subject: format(s.email.confirmSubject, vars),
        heading: s.email.confirmHeading,
        intro: format(s.email.confirmIntro, vars),
        button: s.email.confirmButton,
        expiry: format(s.email.confirmExpiry, vars),
        ignore: s.email.confirmIgnore,
      };
      return renderEmail(confirm, view.subject, view);
    },
  };
}

/** Collapses the blank lines that template conditionals leave behind. */
function tidyText(text: string): string {
  return text.replace(/\n{3,}/g, '\n\n').trim() + '\n';
}
