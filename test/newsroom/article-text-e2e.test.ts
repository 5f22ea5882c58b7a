import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { feedHash } from '../../src/newsroom/feed-watcher';
import { kilatCli } from '../helpers/cli';
import { bearer, linkIn, postJson, startKilat, waitUntil, type Kilat } from '../helpers/kilat';
import type { CapturedMessage } from '../helpers/smtp-capture';

const fixtures = path.join(__dirname, '..', 'fixtures');
const seedFile = path.join(fixtures, 'seed-article.txt');
const seedText = fs.readFileSync(seedFile, 'utf8');
const seed = JSON.parse(fs.readFileSync(path.join(fixtures, 'seed-article.json'), 'utf8'));
const seedParagraphs: string[] = seed.body.split('\n\n');
/** The seed file after its first line (the title): what an editor pastes as the body. */
const seedBody = seedText.slice(seedText.indexOf('\n') + 1);
const CHROME = ['- 0', 'Untuk mendapatkan pemberitahuan berita terkini', 'Berlangganan email berita terkini gratis kami'];

/** The story of a delivered alert's text part: the by-line, then the paragraphs (lead first). */
function storyOf(m: CapturedMessage): { byline?: string; paragraphs: string[] } {
  const blocks = m.parsed.text!.split(/\n{2,}/).map((b) => b.trim());
  const titleAt = blocks.findIndex((b) => b.startsWith(m.parsed.subject!));
  const [, byline] = blocks[titleAt]!.split('\n');
  const rest = blocks.slice(titleAt + 1);
  const end = rest.findIndex((b) => b.startsWith('--') || /^(Baca selengkapnya|Read more): /.test(b));
  return { byline, paragraphs: rest.slice(0, end < 0 ? undefined : end) };
}

/** An RSS feed on 127.0.0.1 whose items a test adds. */
async function startFeed() {
  const items: string[] = [];
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(
      `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>News</title><link>https://news.example.com/</link><description>Latest</description>${items.join('')}</channel></rss>`,
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.xml`,
    items,
    stop: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe('articles as newsrooms hand them over, through every path to the delivered email', () => {
  let k: Kilat;
  let feed: Awaited<ReturnType<typeof startFeed>>;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-article-text-'));
    const patterns = path.join(dir, 'boilerplate.txt');
    fs.writeFileSync(patterns, '# the site\'s own chrome\nDibaca {n} kali\nIkuti kami di Google News*\nFollow us on*\n');
    feed = await startFeed();
    k = await startKilat({
      env: {
        ARTICLE_BOILERPLATE: patterns,
        // every paragraph in the email, so the tests see the whole story
        EXCERPT_PARAGRAPHS: '50',
        FEEDS: JSON.stringify([{ url: feed.url, locale: 'en' }]),
        FEED_INTERVAL: '1',
        FETCH_ALLOW_HOSTS: '127.0.0.1',
      },
    });
    for (const [email, locale] of [['pembaca@contoh.co.id', 'id'], ['reader@example.com', 'en']]) {
      expect((await postJson(`${k.baseUrl}/api/subscriptions`, { email, locale })).status).toBe(202);
      const [mail] = await waitUntil(async () => (k.smtp.to(email!).length > 0 ? k.smtp.to(email!) : undefined), 10_000, `confirmation to ${email}`);
      expect((await fetch(linkIn(mail!.parsed.text, 'confirm'))).status).toBe(200);
    }
  });
  afterAll(async () => {
    await k.stop();
    await feed.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const alertsTo = (email: string) => k.smtp.to(email).filter((m) => !/Konfirmasi|Confirm/.test(m.parsed.subject ?? ''));
  const nextAlert = async (email: string, n: number) => waitUntil(async () => alertsTo(email)[n - 1], 15_000, `alert ${n} to ${email}`);

  test('the seed file verbatim: CLI, API and /admin give the hand-made article, and the email a news editor would have written', async () => {
    // --dry-run: the story as it will be sent, and what was left out, by file line
    const dry = await kilatCli(k.env, 'publish', '--dry-run', seedFile);
    expect(dry.code).toBe(0);
    const report = JSON.parse(dry.stdout);
    expect(report).toMatchObject({ title: seed.title, author: 'keren989', paragraphs: seedParagraphs, lead: seedParagraphs[0], locale: 'id' });
    expect(report.leftOut.map((l: { line: number; reason: string }) => `${l.line} ${l.reason}`)).toEqual(['2 byline', '3 counter', '4 promotion', '5 promotion']);

    // the CLI publishes; the reader gets the story with its byline and without the chrome
    const published = await kilatCli(k.env, 'publish', seedFile);
    expect(published.code).toBe(0);
    const alertId = /alert (\d+) queued/.exec(published.stdout)![1]!;
    const mail = await nextAlert('pembaca@contoh.co.id', 1);
    expect(mail.parsed.subject).toBe(seed.title);
    expect(storyOf(mail)).toEqual({ byline: 'Oleh keren989', paragraphs: seedParagraphs });
    for (const chrome of CHROME) {
      expect(mail.parsed.text).not.toContain(chrome);
      expect(mail.parsed.html).not.toContain(chrome);
    }
    // the lead is the preheader too (the first text of the HTML body)
    const html = mail.parsed.html as string;
    const htmlText = html.slice(html.indexOf('<body')).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(htmlText.indexOf('Kepala pertahanan Tiongkok')).toBeGreaterThanOrEqual(0);
    expect(htmlText.indexOf('Kepala pertahanan Tiongkok')).toBeLessThan(htmlText.indexOf(seed.title));

    // the API with the same text as body: the same article (a duplicate of the same alert), and its preview agrees
    const api = await postJson(`${k.baseUrl}/api/articles`, { title: seed.title, body: seedBody }, bearer);
    expect(api.status).toBe(200);
    expect(api.body.alertId).toBe(alertId);
    const preview = await postJson(`${k.baseUrl}/api/articles/preview`, { title: seed.title, body: seedBody }, bearer);
    expect(preview.status).toBe(200);
    expect(preview.body.id.text).toContain('Oleh keren989');
    for (const chrome of CHROME) expect(preview.body.id.text).not.toContain(chrome);

    // /admin: the preview lists what was left out and why; publishing names the same alert
    const login = await fetch(`${k.baseUrl}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: k.config.publisherToken, next: '/admin' }).toString(),
    });
    const cookie = /kilat_admin=[^;]+/.exec(login.headers.get('set-cookie') ?? '')![0];
    const form = (action: string, fields: Record<string, string | string[]>) => {
      const body = new URLSearchParams();
      for (const [name, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(name, x);
      return fetch(`${k.baseUrl}/admin/${action}`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
    };
    const page = await (await form('preview', { title: seed.title, body: seedBody, locale: 'id' })).text();
    const leftOutList = page.slice(page.indexOf('Left out of the email'), page.indexOf('id="preview-h"'));
    expect(leftOutList).toContain('<q>keren989</q>');
    expect(leftOutList).toMatch(/<q>- 0<\/q><\/label> <span class="note" id="left-out-why-1">line 2: a comment, share or view counter/);
    expect(leftOutList).toContain('<q>Berlangganan email berita terkini gratis kami</q>');
    expect(leftOutList).toContain('value="Berlangganan email berita terkini gratis kami" form="compose"');
    const publish = await form('publish', { title: seed.title, body: seedBody, locale: 'id' });
    expect(publish.status).toBe(303);
    expect(publish.headers.get('location')).toBe(`/admin/alerts/${alertId}?duplicate=1`);
    // an editor who keeps a line wrongly left out sees it in the preview's email
    const kept = await (await form('preview', { title: seed.title, body: seedBody, locale: 'id', keep: 'Berlangganan email berita terkini gratis kami' })).text();
    expect(kept.slice(kept.indexOf('id="preview-h"'))).toContain('Berlangganan email berita terkini gratis kami');
    expect(kept).toContain('<input type="hidden" name="keep" value="Berlangganan email berita terkini gratis kami">');

    await new Promise((r) => setTimeout(r, 300));
    expect(alertsTo('pembaca@contoh.co.id')).toHaveLength(1);
    expect(alertsTo('reader@example.com')).toHaveLength(0);
  });

  const articles: { name: string; locale: 'id' | 'en'; title: string; body: string; byline: string; paragraphs: string[] }[] = [
    {
      name: 'English, blank-line paragraphs hard-wrapped at 72, with "Read also", a photo credit, share line and a site pattern',
      locale: 'en',
      title: 'Floods force thousands from their homes in Jakarta',
      body: [
        'By Jane Doe | 18 April 2023',
        '',
        'Heavy rain flooded large parts of Jakarta on Tuesday, forcing thousands',
        'of residents to leave their homes and closing dozens of schools across',
        'the capital, officials said.',
        '',
        'Read also: Jakarta’s new flood tunnel opens next year',
        '',
        '“The water rose very fast — within an hour it was waist-deep,” said',
        'Siti Rahma, 42, who lives on Jl. Kemang Raya No. 12 with her family.',
        '',
        'Photo: REUTERS/Willy Kurniawan',
        '',
        'The city’s disaster agency said 5,000 people were in shelters by',
        'nightfall and that more rain was expected on Wednesday.',
        '',
        'Share: Facebook | Twitter | WhatsApp',
        'Follow us on Google News for the latest updates',
      ].join('\n'),
      byline: 'By Jane Doe',
      paragraphs: [
        'Heavy rain flooded large parts of Jakarta on Tuesday, forcing thousands of residents to leave their homes and closing dozens of schools across the capital, officials said.',
        '“The water rose very fast — within an hour it was waist-deep,” said Siti Rahma, 42, who lives on Jl. Kemang Raya No. 12 with her family.',
        'The city’s disaster agency said 5,000 people were in shelters by nightfall and that more rain was expected on Wednesday.',
      ],
    },
    {
      name: 'Indonesian, single-newline paragraphs copied from a web page, with "Baca juga", a counter and a site pattern',
      locale: 'id',
      title: 'Gempa magnitudo 6,1 guncang Maluku',
      body: [
        'Penulis: Ahmad Santoso',
        '12 komentar',
        'Dibaca 1.234 kali',
        'Gempa bermagnitudo 6,1 mengguncang Maluku pada Selasa pagi, menurut Badan Meteorologi, Klimatologi, dan Geofisika (BMKG).',
        'Kepala BMKG Jenderal.',
        'Dwikorita Karnawati mengatakan gempa tidak berpotensi tsunami, namun warga diminta menjauhi bangunan yang retak.',
        'BACA JUGA: Gempa susulan terasa hingga Ambon',
        '“Kami terus memantau,”\u00a0kata Dwikorita di kantornya di Jl. Angkasa No. 2, Jakarta.',
        'Ikuti kami di Google News untuk berita terbaru',
      ].join('\n'),
      byline: 'Oleh Ahmad Santoso',
      paragraphs: [
        'Gempa bermagnitudo 6,1 mengguncang Maluku pada Selasa pagi, menurut Badan Meteorologi, Klimatologi, dan Geofisika (BMKG).',
        'Kepala BMKG Jenderal. Dwikorita Karnawati mengatakan gempa tidak berpotensi tsunami, namun warga diminta menjauhi bangunan yang retak.',
        '“Kami terus memantau,”\u00a0kata Dwikorita di kantornya di Jl. Angkasa No. 2, Jakarta.',
      ],
    },
  ];

  test.each(articles)('$name', async (a) => {
    const to = a.locale === 'id' ? 'pembaca@contoh.co.id' : 'reader@example.com';
    const before = alertsTo(to).length;
    const res = await postJson(`${k.baseUrl}/api/articles`, { title: a.title, body: a.body, locale: a.locale }, bearer);
    expect(res.status).toBe(202);
    const mail = await nextAlert(to, before + 1);
    expect(mail.parsed.subject).toBe(a.title);
    expect(storyOf(mail)).toEqual({ byline: a.byline, paragraphs: a.paragraphs });
  });

  test('a feed item with HTML content: figure captions, "Related" boxes, share widgets and sign-up boxes stay out; links keep their text', async () => {
    // the first poll only records what the feed holds (nothing); the item added after it is new
    await waitUntil(async () => (await k.redis.client.hget(k.api.core.keys.feedState(feedHash(feed.url)), 'initialised')) !== null, 15_000, 'feed initialised');
    const before = alertsTo('reader@example.com').length;
    feed.items.push(`<item><guid isPermaLink="false">quake-1</guid><title>Strong quake shakes Maluku</title><link>https://news.example.com/quake-1</link>
<author>newsroom@example.com (Tom Smith)</author>
<pubDate>${new Date().toUTCString()}</pubDate><content:encoded><![CDATA[
<p>A magnitude 6.1 earthquake shook <a href="https://news.example.com/maluku">Maluku</a> on Tuesday morning, the weather agency said.</p>
<figure><img src="https://img.example.com/q.jpg" alt=""><figcaption>Residents gather outside a damaged mosque. (ANTARA FOTO/Jojon)</figcaption></figure>
<div class="related-articles"><h3>Related</h3><ul><li><a href="/a">Aftershocks felt in Ambon</a></li></ul></div>
<p>There was no tsunami warning.<br>Schools were closed for the day.</p>
<ul class="share-buttons"><li><a href="#">Facebook</a></li><li><a href="#">X</a></li></ul>
<div class="newsletter-signup"><p>Subscribe to our free breaking-news email</p><form><input type="email"><button>Subscribe</button></form></div>
<p>12 comments</p>
]]></content:encoded></item>`);
    const mail = await nextAlert('reader@example.com', before + 1);
    expect(mail.parsed.subject).toBe('Strong quake shakes Maluku');
    expect(storyOf(mail)).toEqual({
      byline: expect.stringMatching(/^By Tom Smith · \d+ \w+ \d{4}/),
      paragraphs: ['A magnitude 6.1 earthquake shook Maluku on Tuesday morning, the weather agency said.', 'There was no tsunami warning. Schools were closed for the day.'],
    });
  });
});
