import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCatalog } from '../../src/i18n';
import { templatesDir } from '../../src/paths';
import { toArticle, type Article } from '../../src/article';
import { createRenderer, fillPieces, slotsOf, TemplateError } from '../../src/mail/render';

const renderer = createRenderer({
  catalog: loadCatalog(),
  templatesDir,
  siteName: 'Kilat',
  excerptParagraphs: 2,
  timeZone: 'Asia/Jakarta',
  confirmTokenTtlHours: 48,
});

const LINKS = { UNSUBSCRIBE_URL: 'U-LINK', PREFERENCES_URL: 'P-LINK' };
/** The alert as one reader sees it: slots filled with stand-in links. */
async function render(a: Article, locale: 'id' | 'en'): Promise<{ subject: string; html: string; text: string }> {
  const r = await renderer.renderAlert(a, locale);
  return { subject: r.subject, html: fillPieces(r.html, LINKS), text: fillPieces(r.text, LINKS) };
}

const article = (over: Record<string, unknown> = {}) =>
  toArticle({ title: 'Gempa “kuat” guncang Jakarta', body: 'Satu.\n\nDua.\n\nTiga.\n\nEmpat.', ...over } as never, 'id');

describe('renderAlert', () => {
  test('Indonesian alert: banner, headline, lead, excerpt up to the configured paragraphs, read-more button', async () => {
    const rendered = await renderer.renderAlert(article({ url: 'https://berita.example/gempa' }), 'id');
    expect(rendered.subject).toBe('Gempa “kuat” guncang Jakarta');
    for (const pieces of [rendered.html, rendered.text]) {
      expect([...slotsOf(pieces)].sort()).toEqual(['PREFERENCES_URL', 'UNSUBSCRIBE_URL']);
    }
    const r = { subject: rendered.subject, html: fillPieces(rendered.html, LINKS), text: fillPieces(rendered.text, LINKS) };
    for (const part of [r.html, r.text]) {
      expect(part).toContain('BERITA TERKINI');
      expect(part).toContain('Gempa “kuat” guncang Jakarta');
      expect(part).toContain('Satu.');
      expect(part).toContain('Dua.');
      expect(part).toContain('Tiga.');
      expect(part).not.toContain('Empat.');
      expect(part).toContain('Baca selengkapnya');
      expect(part.split('U-LINK')).toHaveLength(2);
      expect(part.split('P-LINK')).toHaveLength(2);
    }
    expect(r.html).toContain('href="https://berita.example/gempa"');
  });

  test('a summary becomes the lead and the body paragraphs follow', async () => {
    const r = await render(article({ summary: 'Ringkasan singkat.' }), 'id');
    expect(r.text.indexOf('Ringkasan singkat.')).toBeLessThan(r.text.indexOf('Satu.'));
    expect(r.text).toContain('Dua.');
    expect(r.text).not.toContain('Tiga.');
  });

  test('English alert says BREAKING NEWS and has no button without a url', async () => {
    const r = await render(article({ locale: 'en' }), 'en');
    expect(r.html).toContain('BREAKING NEWS');
    expect(r.html).not.toContain('Read more');
    expect(r.text).not.toContain('Read more');
  });

  test('markup in article fields arrives as text, never as HTML', async () => {
    const r = await render(
      article({ title: '<script>alert(1)</script> Judul', body: 'Paragraf <img src=x onerror=alert(1)> satu.', author: '<b>Redaksi</b>' }),
      'id',
    );
    expect(r.html).not.toContain('<script>alert(1)</script>');
    expect(r.html).not.toContain('<img src=x');
    expect(r.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Judul');
    expect(r.html).toContain('&lt;b&gt;Redaksi&lt;/b&gt;');
    expect(r.subject).toBe('<script>alert(1)</script> Judul');
  });

  test('the footer says why the reader gets it and names the story’s topics', async () => {
    const r = await render(article({ topics: ['dunia', 'politik'] }), 'id');
    expect(r.text).toContain('Topik berita ini: Dunia, Politik.');
  });
});

describe('TemplateError: only a broken template, never content', () => {
  /** A copy of the real templates with one file changed. */
  const rendererWith = (file: string, edit: (text: string) => string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-templates-'));
    for (const f of fs.readdirSync(templatesDir)) if (f.includes('.')) fs.copyFileSync(path.join(templatesDir, f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, file), edit(fs.readFileSync(path.join(templatesDir, file), 'utf8')));
    return createRenderer({ catalog: loadCatalog(), templatesDir: dir, siteName: 'Kilat', excerptParagraphs: 2, timeZone: 'Asia/Jakarta', confirmTokenTtlHours: 48 });
  };

  test.each([
    ['a slot no one fills', 'breaking-news.txt', (t: string) => t.replace('{{slot "PREFERENCES_URL"}}', '{{slot "PASSWORD"}}'), /unknown slot PASSWORD/],
    ['invalid MJML', 'breaking-news.mjml', (t: string) => t.replace('<mj-column>', '<mj-column><mj-nonsense>'), /breaking-news\.mjml/],
    ['a slot inside a comment MJML drops', 'breaking-news.mjml', (t: string) => t.replace('<mj-body', '<mj-raw><!-- {{slot "UNSUBSCRIBE_URL"}} --></mj-raw><mj-body'), /placed 2 time\(s\) but found 1/],
  ])('%s is a TemplateError', async (_name, file, edit, message) => {
    const r = rendererWith(file, edit);
    const err = await r.renderAlert(article(), 'id').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemplateError);
    expect((err as Error).message).toMatch(message);
  });
});
