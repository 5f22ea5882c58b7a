import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { costRelativeToOnePass } from '../helpers/linear-time';
import { articleSchema, readArticle } from '../../src/article';
import { ConfigError, parseConfig } from '../../src/config';
import { readArticleFile } from '../../src/newsroom/article-file';
import { htmlToBlocks, markupDepth } from '../../src/newsroom/article-text/html-to-blocks';
import { readArticleText } from '../../src/newsroom/article-text/read-article-text';
import { parseSitePatterns, SitePatternError } from '../../src/newsroom/article-text/site-patterns';
import { dryRunReport } from '../../src/newsroom/article-text/dry-run-report';

const fixtures = path.join(__dirname, '..', 'fixtures');
const seedText = fs.readFileSync(path.join(fixtures, 'seed-article.txt'), 'utf8');
const seed = JSON.parse(fs.readFileSync(path.join(fixtures, 'seed-article.json'), 'utf8'));
const seedParagraphs: string[] = seed.body.split('\n\n');

/** Greedy hard wrap at `width` columns, as `fmt -w 72` or a mail client does it. */
function wrap(paragraph: string, width = 72): string {
  const lines: string[] = [];
  let line = '';
  for (const word of paragraph.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join('\n');
}

describe('the seed article as the newsroom hands it over', () => {
  test('read verbatim from its file: the title, byline keren989, the eight story paragraphs and none of the chrome', () => {
    const { draft, bodyLine } = readArticleFile('seed-article.txt', seedText);
    const input = articleSchema(['dunia']).parse(draft);
    const report = dryRunReport(input, { defaultLocale: 'id', articleBoilerplate: parseSitePatterns('') }, bodyLine);
    expect(report.title).toBe(seed.title);
    expect(report.author).toBe('keren989');
    expect(report.paragraphs).toEqual(seedParagraphs);
    expect(report.lead).toBe(seedParagraphs[0]);
    expect(report.leftOut.map((l) => [l.line, l.reason, l.text])).toEqual([
      [2, 'byline', 'keren989'],
      [3, 'counter', '- 0'],
      [4, 'promotion', expect.stringMatching(/^Untuk mendapatkan pemberitahuan berita terkini gratis/)],
      [5, 'promotion', 'Berlangganan email berita terkini gratis kami'],
    ]);
  });

  test('the hand-cleaned JSON body reads the same, with nothing left out', () => {
    const r = readArticleText(seed.body, { author: seed.author });
    expect(r.paragraphs).toEqual(seedParagraphs);
    expect(r.leftOut).toEqual([]);
  });

  test('the same story hard-wrapped at 72 columns, with or without blank lines, gives the same paragraphs', () => {
    const wrappedBlank = seedParagraphs.map((p) => wrap(p)).join('\n\n');
    expect(readArticleText(wrappedBlank).paragraphs).toEqual(seedParagraphs);
    // Without blank lines, hard-wrapped text marks its paragraphs by indenting their first line.
    const wrappedIndented = seedParagraphs.map((p) => `  ${wrap(p, 70).replace(/\n/g, '\n')}`).join('\n');
    expect(readArticleText(wrappedIndented).paragraphs).toEqual(seedParagraphs);
  });

  test('a line the editor keeps is kept', () => {
    const { draft } = readArticleFile('seed-article.txt', seedText);
    const input = articleSchema([]).parse({ ...draft, keep: ['Berlangganan email berita terkini gratis kami'] });
    const { article, leftOut } = readArticle(input, 'id');
    expect(article.paragraphs[0]).toBe('Berlangganan email berita terkini gratis kami');
    expect(leftOut.map((l) => l.reason)).toEqual(['byline', 'counter', 'promotion']);
  });
});

describe('paragraphs as a reader sees them', () => {
  test('blank-line paragraphs: a line break inside one is a space; chrome lines in between are left out', () => {
    const body = [
      'By Jane Doe | 18 April 2023',
      '',
      'Heavy rain flooded large parts of Jakarta on Tuesday, forcing thousands of residents',
      'to leave their homes, officials said.',
      '',
      'Read also: Jakarta’s new flood tunnel opens next year',
      '',
      'Photo: Antara/Aditya Pradana Putra',
      '',
      '“The water rose very fast — within an hour it was waist-deep,” said Siti, a resident of Jl. Kemang Raya No. 12.',
      '',
      'Share: Facebook | Twitter | WhatsApp',
      '12 comments',
    ].join('\n');
    const r = readArticleText(body);
    expect(r.byline).toBe('Jane Doe');
    expect(r.paragraphs).toEqual([
      'Heavy rain flooded large parts of Jakarta on Tuesday, forcing thousands of residents to leave their homes, officials said.',
      '“The water rose very fast — within an hour it was waist-deep,” said Siti, a resident of Jl. Kemang Raya No. 12.',
    ]);
    expect(r.leftOut.map((l) => l.reason)).toEqual(['byline', 'related', 'photo-credit', 'share', 'counter']);
  });

  test('single-newline paragraphs: each line is one, except a line cut after "Jenderal." or "Jl." or mid-sentence', () => {
    const body = [
      'Oleh: Ahmad Santoso',
      'Selasa, 18 April 2023 09:30 WIB',
      'Panglima TNI Jenderal.',
      'Agus Subiyanto meninjau lokasi banjir di Jl.',
      'Kemang Raya bersama Gubernur pada Selasa pagi.',
      'Ia mengatakan bantuan akan tiba dalam dua hari, dan',
      'warga diminta tetap waspada.',
      'BACA JUGA:',
      'Banjir Jakarta, 5.000 warga mengungsi',
      '“Kami siap membantu,”\u00a0katanya.',
    ].join('\n');
    const r = readArticleText(body);
    expect(r.byline).toBe('Ahmad Santoso');
    expect(r.paragraphs).toEqual([
      'Panglima TNI Jenderal. Agus Subiyanto meninjau lokasi banjir di Jl. Kemang Raya bersama Gubernur pada Selasa pagi.',
      'Ia mengatakan bantuan akan tiba dalam dua hari, dan warga diminta tetap waspada.',
      '“Kami siap membantu,”\u00a0katanya.',
    ]);
    expect(r.leftOut.map((l) => [l.line, l.reason])).toEqual([
      [1, 'byline'],
      [2, 'timestamp'],
      [8, 'related'],
      [9, 'related'],
    ]);
  });

  test('Kilat knows its own promotion in English too; a story about newsletters is not a promotion', () => {
    const body = [
      'To get free, real-time breaking news alerts delivered straight to your inbox, sign up to our breaking news email',
      'Subscribe to our free breaking-news email',
      'The publisher said its email newsletter now reaches two million readers, twice as many as a year ago, and that breaking news drives most sign-ups.',
    ].join('\n');
    const r = readArticleText(body);
    expect(r.leftOut.map((l) => l.reason)).toEqual(['promotion', 'promotion']);
    expect(r.paragraphs).toHaveLength(1);
  });

  test('a body that is nothing but chrome-like lines is sent as written, not emptied', () => {
    const { article, leftOut } = readArticle(articleSchema([]).parse({ title: 'T', body: 'Baca juga: sesuatu' }), 'id');
    expect(article.paragraphs).toEqual(['Baca juga: sesuatu']);
    expect(leftOut).toEqual([]);
  });
});

describe('feed item HTML', () => {
  test('blocks become paragraphs, links keep their text; figures, captions, share bars and "Baca juga" boxes are left out', () => {
    const html = `<p>Gempa bermagnitudo 6,1 mengguncang <a href="https://berita.example.com/maluku">Maluku</a> pada Selasa pagi.</p>
<figure><img src="https://img.example.com/a.jpg"><figcaption>Warga mengungsi ke dataran tinggi. (ANTARA FOTO/Jojon)</figcaption></figure>
<div class="baca-juga"><strong>Baca juga:</strong> <a href="/x">Gempa susulan terasa di Ambon</a></div>
<p>BMKG menyatakan gempa tidak berpotensi tsunami.<br>Warga diminta tetap tenang.</p>
<ul class="share-buttons"><li><a href="#">Facebook</a></li><li><a href="#">WhatsApp</a></li></ul>
<aside><p>Berlangganan email berita terkini gratis kami</p></aside>`;
    const blocks = htmlToBlocks(html);
    expect(blocks.leftOut.map((l) => l.reason)).toEqual(['caption', 'related', 'share', 'related']);
    const r = readArticleText(blocks.paragraphs.join('\n\n'));
    expect(r.paragraphs).toEqual(['Gempa bermagnitudo 6,1 mengguncang Maluku pada Selasa pagi.', 'BMKG menyatakan gempa tidak berpotensi tsunami. Warga diminta tetap tenang.']);
  });

  test('markup nested deeper than any story is not handed to the parser (its cost grows with the square of the depth)', async () => {
    const nested = (depth: number) => `${'<div>'.repeat(depth)}<p>Dalam.</p>${'</div>'.repeat(depth)}`;
    expect(htmlToBlocks(nested(300)).paragraphs).toEqual(['Dalam.']);
    expect(htmlToBlocks(nested(50_000))).toEqual({ paragraphs: [], leftOut: [] });
    // flat markup of any length is read: depth counts nesting, not tags
    expect(htmlToBlocks('<p>Satu.</p><p>Dua.<br>Tiga.</p>'.repeat(500)).paragraphs).toHaveLength(1_000);
    for (const hostile of ['<div><b>'.repeat(100_000), '<a'.repeat(200_000), '<p/>'.repeat(100_000)]) expect(await costRelativeToOnePass(hostile, markupDepth)).toBeLessThan(50);
  });
});

describe('ARTICLE_BOILERPLATE site patterns', () => {
  const patterns = parseSitePatterns(['# Kompas-like site', 'Dapatkan update berita pilihan*', 'Dibaca {n} kali', '  Ikuti kami di Google News*', ''].join('\n'), 'patterns.txt');

  test('whole lines or line starts, ignoring case, spacing and the value of numbers', () => {
    expect(patterns.size).toBe(3);
    expect(patterns.match('DAPATKAN update berita pilihan dan breaking news setiap hari.')?.line).toBe(2);
    expect(patterns.match('Dibaca  1.234 kali')?.line).toBe(3);
    expect(patterns.match('Dibaca 12 kali oleh pembaca yang sama, kata polisi.')).toBeUndefined();
    expect(patterns.match('ikuti kami di google news untuk kabar terbaru')?.source).toBe('Ikuti kami di Google News*');
    expect(patterns.match('Kami tidak ikuti kami di Google News')).toBeUndefined();
    const r = readArticleText('Dibaca 7 kali\nPara pengungsi kembali ke rumah mereka pada Rabu setelah air surut, kata petugas.', { sitePatterns: patterns });
    expect(r.leftOut).toEqual([{ line: 1, text: 'Dibaca 7 kali', reason: 'site-pattern', why: 'a site pattern (ARTICLE_BOILERPLATE): line 3 "Dibaca {n} kali"' }]);
  });

  test('patterns that are regular expressions, too broad or broken are refused, naming the line', () => {
    expect(() => parseSitePatterns('ok pattern\n(a+)+*b')).toThrow(/line 2: a \* may only end a pattern/);
    expect(() => parseSitePatterns('*')).toThrow(/line 1: needs at least three letters/);
    expect(() => parseSitePatterns('{n} *')).toThrow(SitePatternError);
    expect(() => parseSitePatterns('a\u0001bc')).toThrow(/control characters/);
  });

  test('a bad file stops the start with a message naming ARTICLE_BOILERPLATE', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-patterns-'));
    try {
      const bad = path.join(dir, 'bad.txt');
      fs.writeFileSync(bad, 'Baca juga*\n*komentar\n');
      const env = { NODE_ENV: 'test', PUBLISHER_TOKEN: 'x'.repeat(16), SECRET_KEY: 'y'.repeat(32) };
      expect(() => parseConfig({ ...env, ARTICLE_BOILERPLATE: bad })).toThrow(ConfigError);
      expect(() => parseConfig({ ...env, ARTICLE_BOILERPLATE: bad })).toThrow(/ARTICLE_BOILERPLATE: .*bad\.txt line 2: a \* may only end a pattern/);
      expect(() => parseConfig({ ...env, ARTICLE_BOILERPLATE: path.join(dir, 'missing.txt') })).toThrow(/ARTICLE_BOILERPLATE: cannot read .*missing\.txt \(ENOENT\)/);
      const good = path.join(dir, 'good.txt');
      fs.writeFileSync(good, 'Baca juga*\n');
      expect(parseConfig({ ...env, ARTICLE_BOILERPLATE: good }).articleBoilerplate.size).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hostile text costs linear time: no more than a few plain passes over it', () => {
  const patterns = parseSitePatterns(Array.from({ length: 1000 }, (_, i) => `${'a'.repeat(200)}${i}*`).join('\n'));
  const cases: [string, string][] = [
    ['200,000 spaces and tabs', `a${' '.repeat(100_000)}b\n${' \t'.repeat(50_000)}c`],
    ['100,000 one-character lines', 'a\n'.repeat(100_000)],
    ['30,000 blank-line paragraphs', 'Satu.\n\n'.repeat(30_000)],
    ['one line of closing quotes and full stops', '.”'.repeat(100_000)],
    ['one 200,000-character word', 'x'.repeat(200_000)],
    ['lines that almost match every site pattern', `${'a'.repeat(200)}\n`.repeat(900)],
    ['lines of digits and counters', '- 0\n12 komentar\n'.repeat(15_000)],
    ['"Baca juga:" labels', 'Baca juga:\n'.repeat(18_000)],
    ['hard-wrapped text', wrap('kata '.repeat(40_000))],
  ];
  // Reading makes a string or two per line (the paragraphs themselves), about 20–30 plain passes
  // for a text of 100,000 one-character lines, up to 70 when the shared machine is loaded; a reader
  // that rescanned earlier lines per line would cost thousands.
  test.each(cases)('%s', async (_name, body) => {
    expect(await costRelativeToOnePass(body, (b) => readArticleText(b, { sitePatterns: patterns }))).toBeLessThan(200);
  });
});
