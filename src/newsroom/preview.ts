import { LOCALES, type Locale } from '../config';
import type { Article } from '../article';
import type { Mailer } from '../mail/mailer';
import { fillPieces, type AlertUpdate } from '../mail/render';
import { previewSlots } from '../subscribers/links';

export interface PreviewDeps {
  mailer: Mailer;
  publicUrl: string;
}

export type Preview = Record<Locale, { subject: string; html: string; text: string }>;

/** What editors see before they publish: the alert rendered for each locale, and a single test copy. */
export function createPreviewer(deps: PreviewDeps) {
  // The tracked "Read more" slot (CLICK_TRACKING=on) is the article itself here: no reader to count.
  const slotsFor = (article: Article) => previewSlots(deps.publicUrl, article.url);
  return {
    /** `update`: a follow-up, shown as its readers of the story get it (banner, the story's subject). */
    async preview(article: Article, update?: AlertUpdate): Promise<Preview> {
      const out = {} as Preview;
      const slots = slotsFor(article);
      for (const locale of LOCALES) {
        const r = await deps.mailer.renderer.renderAlert(article, locale, update);
        out[locale] = { subject: r.subject, html: fillPieces(r.html, slots), text: fillPieces(r.text, slots) };
      }
      return out;
    },

    /** One copy to `to`, built exactly like the real alert (same template, same MIME), subject marked [TEST]. */
    async testSend(article: Article, locale: Locale, to: string): Promise<void> {
      const template = await deps.mailer.prepareAlert({ ...article, title: `[TEST] ${article.title}` }, locale);
      await deps.mailer.send(to, template.personalise({ to, slots: slotsFor(article) }));
    },
  };
}

export type Previewer = ReturnType<typeof createPreviewer>;
