import { loadCatalog } from '../../src/i18n';
import { templatesDir } from '../../src/paths';
import { toArticle } from '../../src/alerts/article';
import { createRenderer } from '../../src/mail/render';

const renderer = createRenderer({
  catalog: loadCatalog(),
  templatesDir,
  siteName: 'Kilat',
  excerptParagraphs: 2,
  timeZone: 'Asia/Jakarta',
  confirmTokenTtlHours: 48,
});

const article = (over: Record<string, unknown> = {}) =>
  toArticle({ title: 'Gempa “kuat” guncang Jakarta', body: 'Satu.\n\nDua.\n\nTiga.\n\nEmpat.', ...over } as never, 'id');

describe('renderAlert', () => {
  test('Indonesian alert: banner, headline, lead, excerpt up to the configured paragraphs, read-more button', async () => {
    const r = await renderer.renderAlert(article({ url: 'https://berita.example/gempa' }), 'id');
    expect(r.subject).toBe('Gempa “kuat” guncang Jakarta');
    for (const part of [r.html, r.text]) {
      expect(part).toContain('BERITA TERKINI');
      expect(part).toContain('Gempa “kuat” guncang Jakarta');
      expect(part).toContain('Satu.');
      expect(part).toContain('Dua.');
      expect(part).toContain('Tiga.');
      expect(part).not.toContain('Empat.');
      expect(part).toContain('Baca selengkapnya');
      expect(part).toContain('%%UNSUBSCRIBE_URL%%');
      expect(part).toContain('%%PREFERENCES_URL%%');
    }
    expect(r.html).toContain('href="https://berita.example/gempa"');
  });

  test('a summary becomes the lead and the body paragraphs follow', async () => {
    const r = await renderer.renderAlert(article({ summary: 'Ringkasan singkat.' }), 'id');
    expect(r.text.indexOf('Ringkasan singkat.')).toBeLessThan(r.text.indexOf('Satu.'));
    expect(r.text).toContain('Dua.');
    expect(r.text).not.toContain('Tiga.');
  });

  test('English alert says BREAKING NEWS and has no button without a url', async () => {
    const r = await renderer.renderAlert(article({ locale: 'en' }), 'en');
    expect(r.html).toContain('BREAKING NEWS');
    expect(r.html).not.toContain('Read more');
    expect(r.text).not.toContain('Read more');
  });

  test('markup in article fields arrives as text, never as HTML', async () => {
    const r = await renderer.renderAlert(
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
    const r = await renderer.renderAlert(article({ topics: ['dunia', 'politik'] }), 'id');
    expect(r.text).toContain('Topik berita ini: Dunia, Politik.');
  });
});
