import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { freePort } from '../../src/dev/embedded-redis';
import { loadCatalog } from '../../src/i18n';
import { formSnippet, iframeSnippet, scriptSnippet } from '../../src/http/pages/embed-pages';
import { accessibilityBasics, launchBrowser, screenshot } from '../helpers/browser';
import { linkIn, PUBLISHER_TOKEN, startKilat, waitUntil, type Kilat } from '../helpers/kilat';

declare const document: any;
declare const window: any;
declare const PerformanceObserver: any;
declare function getComputedStyle(el: any): any;

type Kind = 'form' | 'iframe' | 'script';

const paragraphs = fs
  .readFileSync(path.join(__dirname, '..', 'fixtures', 'seed-article.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.length > 120)
  .slice(0, 4);
const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A second HTTP server playing the news site: an article page per snippet, the sign-up box in the
 * middle of the story as on the real site. The snippets are the ones /admin/embed hands out.
 */
async function startNewsSite(port: number, kilatBase: string): Promise<{ origin: string; article(kind: Kind): string; close(): Promise<void> }> {
  const origin = `http://localhost:${port}`;
  const s = loadCatalog().id;
  const choice = { locale: 'id' as const, topics: ['dunia'] };
  const snippets: Record<Kind, string> = {
    form: formSnippet(kilatBase, s, choice, false),
    iframe: iframeSnippet(kilatBase, s, choice),
    script: scriptSnippet(kilatBase, choice),
  };
  const server = http.createServer((req, res) => {
    const kind = /^\/artikel\/(form|iframe|script)/.exec(req.url ?? '')?.[1] as Kind | undefined;
    if (!kind) return void res.writeHead(404).end('not found');
    const url = `${origin}/artikel/${kind}`;
    const box = snippets[kind].replace(/ARTICLE_URL/g, encodeURIComponent(url).replace(/%2F/g, '/').replace(/%3A/g, ':'));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Panglima militer Tiongkok berjanji memperkuat hubungan dengan Rusia · Berita</title>
<style>body{margin:0;font:18px/1.6 Georgia,serif;color:#1a1a1a;background:#fff}header{background:#0d3b66;color:#fff;padding:.6rem 1rem;font:700 1.1rem system-ui}
article{max-width:42rem;margin:0 auto;padding:1rem} h1{font-size:1.7rem;line-height:1.25}
.kilat-signup label{display:block;font-weight:600;margin:.5rem 0 .25rem} .kilat-signup input[type=email]{box-sizing:border-box;width:100%;max-width:22rem;font:inherit;padding:.4rem;border:2px solid #767676}
.kilat-signup button{font:inherit;margin-top:.5rem;padding:.4rem 1rem;background:#0d3b66;color:#fff;border:0}</style></head>
<body><header>BERITA</header><article><h1>Panglima militer Tiongkok berjanji memperkuat hubungan dengan Rusia</h1>
<p>${escape(paragraphs[0]!)}</p><p>${escape(paragraphs[1]!)}</p>
<aside aria-label="Berlangganan">${box}</aside>
<p>${escape(paragraphs[2]!)}</p><p>${escape(paragraphs[3]!)}</p></article></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin,
    article: (kind) => `${origin}/artikel/${kind}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// Each embed at a phone and a desktop width; the plain form and the iframe also without JavaScript.
const RUNS: { kind: Kind; width: number; js: boolean }[] = [
  { kind: 'form', width: 375, js: false },
  { kind: 'form', width: 1200, js: true },
  { kind: 'iframe', width: 375, js: true },
  { kind: 'iframe', width: 1200, js: false },
  { kind: 'script', width: 375, js: true },
  { kind: 'script', width: 1200, js: true },
];

describe('the sign-up box embedded on the news site, in Chromium', () => {
  let k: Kilat;
  let news: Awaited<ReturnType<typeof startNewsSite>>;
  let stranger: Awaited<ReturnType<typeof startNewsSite>>;
  beforeAll(async () => {
    const [newsPort, strangerPort] = [await freePort(), await freePort()];
    k = await startKilat({ env: { EMBED_ORIGINS: `http://localhost:${newsPort}` } });
    news = await startNewsSite(newsPort, k.baseUrl);
    stranger = await startNewsSite(strangerPort, k.baseUrl);
  });
  afterAll(async () => {
    await news.close();
    await stranger.close();
    await k.stop();
  });

  const expectReadable = async (page: Page, where: string) => {
    const a11y = await accessibilityBasics(page);
    expect({ where, unlabelled: a11y.unlabelled, lowContrast: a11y.lowContrast, fitsWidth: a11y.fitsWidth }).toEqual({ where, unlabelled: [], lowContrast: [], fitsWidth: true });
  };

  test.each(RUNS)('a reader signs up through the $kind snippet at $width px (JavaScript: $js), confirms, and is attributed to the article', async ({ kind, width, js }) => {
    const email = `${kind}-${width}@contoh.co.id`;
    const browser = await launchBrowser({ width, height: 900, javaScriptEnabled: js });
    try {
      const page = await browser.context.newPage();
      await page.goto(news.article(kind));
      const name = `embed-${kind}-${width}${js ? '' : '-nojs'}`;
      if (kind === 'form') {
        await expectReadable(page, kind);
        await page.locator('aside').scrollIntoViewIfNeeded();
        await screenshot(page, name);
        await page.getByLabel('Alamat email').fill(email);
        await page.getByRole('button', { name: 'Berlangganan' }).click();
        await page.waitForLoadState();
        // Kilat's own "check your inbox" page, with the way back to the article
        expect(new URL(page.url()).origin).toBe(k.baseUrl);
        expect(await page.locator('h1').textContent()).toMatch(/Periksa kotak masuk/);
        expect(await page.getByRole('link', { name: 'Kembali ke artikel' }).getAttribute('href')).toBe(news.article(kind));
        await screenshot(page, `${name}-done`);
      } else if (kind === 'iframe') {
        const frame = page.frameLocator('iframe');
        await frame.getByLabel('Alamat email').waitFor();
        if (js) {
          // the frame told the page its height: nothing inside needs scrolling
          await waitUntil(async () => {
            const [outer, inner] = await Promise.all([
              page.locator('iframe').evaluate((f: any) => f.getBoundingClientRect().height),
              page.frames()[1]!.evaluate(() => document.documentElement.scrollHeight),
            ]);
            return Math.abs(outer - inner) <= 1;
          }, 10_000, 'iframe height follows its content');
        }
        expect(await page.frames()[1]!.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
        await expectReadable(page, 'iframe host');
        await page.locator('aside').scrollIntoViewIfNeeded();
        await screenshot(page, name);
        await frame.getByLabel('Alamat email').fill(email);
        await frame.getByRole('button', { name: 'Berlangganan' }).click();
        await frame.getByRole('status').waitFor();
        expect(await frame.locator('h1').textContent()).toMatch(/Periksa kotak masuk/);
        // the page around the frame did not move away
        expect(page.url()).toBe(news.article(kind));
        await screenshot(page, `${name}-done`);
      } else {
        const box = page.locator('[data-kilat-signup]');
        await box.getByLabel('Alamat email').waitFor();
        // rendering the box moved nothing on the page (the snippet reserves its height)
        const shift = await page.evaluate(
          () =>
            new Promise<number>((resolve) => {
              let total = 0;
              new PerformanceObserver((list: any) => {
                for (const e of list.getEntries()) total += e.value;
              }).observe({ type: 'layout-shift', buffered: true });
              setTimeout(() => resolve(total), 200);
            }),
        );
        expect(shift).toBe(0);
        await expectReadable(page, kind);
        // an empty address is refused in place and announced
        await box.getByRole('button', { name: 'Berlangganan' }).click();
        expect(await box.locator('[aria-live]').textContent()).toBe('Masukkan alamat email Anda.');
        expect(await box.getByLabel('Alamat email').getAttribute('aria-invalid')).toBe('true');
        expect(await page.evaluate(() => document.activeElement?.type)).toBe('email');
        await page.locator('aside').scrollIntoViewIfNeeded();
        await screenshot(page, `${name}-error`);
        await box.getByLabel('Alamat email').fill(email);
        await box.getByRole('button', { name: 'Berlangganan' }).click();
        await box.getByRole('status').waitFor();
        expect(await box.getByRole('status').textContent()).toMatch(/email konfirmasi/);
        // focus moves to the answer, so a screen reader reads it
        expect(await page.evaluate(() => document.activeElement?.textContent)).toMatch(/Periksa kotak masuk/);
        await screenshot(page, name);
      }

      const mail = await waitUntil(async () => k.smtp.to(email)[0], 10_000, 'confirmation email');
      expect(mail.parsed.subject).toBeTruthy();
      await page.goto(linkIn(mail.parsed.text, 'confirm'));
      expect(await page.locator('h1').textContent()).toMatch(/Langganan dikonfirmasi/);
      const sub = (await k.api.core.subscribers.findByEmail(email))!;
      expect(sub).toMatchObject({ status: 'confirmed', locale: 'id', topics: ['dunia'] });
      const exported = await k.api.core.redis.hget(`kilat:{s${sub.id % 16}}:signup-source`, String(sub.id));
      expect(JSON.parse(exported!)).toMatchObject({ kind, source: news.article(kind), locale: 'id' });
    } finally {
      await browser.close();
    }
  });

  test('served from a site not on EMBED_ORIGINS: the form gets a readable 403, the iframe is not rendered, the script gets no CORS', async () => {
    const browser = await launchBrowser({ width: 1200, height: 900 });
    try {
      const page = await browser.context.newPage();
      await page.goto(stranger.article('form'));
      await page.getByLabel('Alamat email').fill('asing-form@contoh.co.id');
      const answer = page.waitForResponse((r) => r.url() === `${k.baseUrl}/subscribe`);
      await page.getByRole('button', { name: 'Berlangganan' }).click();
      expect((await answer).status()).toBe(403);
      await page.waitForLoadState();
      expect(await page.locator('main').textContent()).toMatch(/not sent from this site/);
      await screenshot(page, 'embed-foreign-form-1200');

      await page.goto(stranger.article('iframe'));
      await waitUntil(async () => page.frames().length === 2, 10_000, 'frame attempted');
      // Chromium refuses the frame (frame-ancestors): no form is ever shown inside it
      await waitUntil(async () => {
        const f = page.frames()[1]!;
        return f.url().startsWith('chrome-error://') || (await f.locator('input[type=email]').count().catch(() => 0)) === 0;
      }, 10_000, 'frame blocked');
      expect(await page.frames()[1]!.locator('input[type=email]').count().catch(() => 0)).toBe(0);
      await screenshot(page, 'embed-foreign-iframe-1200');

      await page.goto(stranger.article('script'));
      const box = page.locator('[data-kilat-signup]');
      await box.getByLabel('Alamat email').fill('asing-skrip@contoh.co.id');
      await box.getByRole('button', { name: 'Berlangganan' }).click();
      await waitUntil(async () => /gagal/.test((await box.locator('[aria-live]').textContent()) ?? ''), 10_000, 'script error shown');
      await screenshot(page, 'embed-foreign-script-1200');
      for (const e of ['asing-form', 'asing-skrip']) expect(await k.api.core.subscribers.findByEmail(`${e}@contoh.co.id`)).toBeUndefined();
    } finally {
      await browser.close();
    }
  });

  test.each([375, 1200])('/admin shows sign-ups per source and day, and /admin/embed builds the snippets with a live preview at %i px', async (width) => {
    const browser = await launchBrowser({ width, height: 900 });
    try {
      const page = await browser.context.newPage();
      await page.goto(`${k.baseUrl}/admin/embed`);
      expect(new URL(page.url()).pathname).toBe('/admin/login');
      await page.getByLabel('API key').fill(PUBLISHER_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect(new URL(page.url()).pathname).toBe('/admin/embed');

      await page.getByLabel('Language').selectOption('en');
      await page.getByLabel('World').check();
      await page.getByLabel('Accent colour (hex)').fill('#0d3b66');
      await page.getByRole('button', { name: 'Update snippets and preview' }).click();
      const script = await page.getByLabel('Snippet (select all and copy)').nth(2).inputValue();
      expect(script).toBe(`<div data-kilat-signup data-locale="en" data-topics="dunia" data-accent="#0d3b66" style="min-height:16.5rem"></div>\n<script src="${k.baseUrl}/embed.js" async></script>`);
      expect(await page.getByLabel('Snippet (select all and copy)').nth(0).inputValue()).toContain(`action="${k.baseUrl}/subscribe"`);
      expect(await page.getByLabel('Snippet (select all and copy)').nth(1).inputValue()).toContain(`${k.baseUrl}/embed?accent=0d3b66&amp;lang=en&amp;topics=dunia`);
      expect(await page.getByText(news.origin).count()).toBeGreaterThan(0);
      // the live preview is the real frame, in English, in the chosen colour
      const preview = page.frameLocator('iframe[title="Sign-up box preview"]');
      await preview.getByLabel('Email address').waitFor();
      expect(await preview.getByRole('button', { name: 'Subscribe' }).evaluate((b: any) => getComputedStyle(b).backgroundColor)).toBe('rgb(13, 59, 102)');
      const a11y = await accessibilityBasics(page);
      expect({ unlabelled: a11y.unlabelled, lowContrast: a11y.lowContrast, fitsWidth: a11y.fitsWidth }).toEqual({ unlabelled: [], lowContrast: [], fitsWidth: true });
      await screenshot(page, `admin-embed-${width}`);

      // the dashboard: one row per article and form kind, with the sign-ups and confirmations of
      // the two readers each snippet brought in above (this file's tests run in order)
      await page.goto(`${k.baseUrl}/admin`);
      const table = page.getByRole('region', { name: /Sign-ups by source/ });
      for (const kind of ['form', 'iframe', 'script'] as const) {
        const row = table.getByRole('row').filter({ hasText: news.article(kind) });
        expect(await row.count()).toBe(1);
        expect(await row.getByRole('cell').allTextContents()).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\d$/), news.article(kind), kind, '2', '2']);
      }
      await table.scrollIntoViewIfNeeded();
      await screenshot(page, `admin-signups-${width}`);
    } finally {
      await browser.close();
    }
  });
});

describe('SIGNUP_CHALLENGE=altcha in Chromium', () => {
  let k: Kilat;
  let news: Awaited<ReturnType<typeof startNewsSite>>;
  beforeAll(async () => {
    const port = await freePort();
    k = await startKilat({ workers: false, env: { EMBED_ORIGINS: `http://localhost:${port}`, SIGNUP_CHALLENGE: 'altcha' } });
    news = await startNewsSite(port, k.baseUrl);
  });
  afterAll(async () => {
    await news.close();
    await k.stop();
  });

  test('the browser solves the proof of work on Kilat’s own page, in the frame and in the script box; without JavaScript the form says why it cannot go', async () => {
    const browser = await launchBrowser({ width: 1200, height: 900 });
    try {
      const page = await browser.context.newPage();
      await page.goto(`${k.baseUrl}/`);
      await page.getByLabel(/Alamat email/).fill('tantangan-halaman@contoh.co.id');
      await page.getByRole('button', { name: /Berlangganan/ }).click();
      await page.locator('h1', { hasText: 'Periksa kotak masuk' }).waitFor({ timeout: 20_000 });

      await page.goto(news.article('iframe'));
      const frame = page.frameLocator('iframe');
      await frame.getByLabel('Alamat email').fill('tantangan-bingkai@contoh.co.id');
      await frame.getByRole('button', { name: 'Berlangganan' }).click();
      await frame.getByRole('status').waitFor({ timeout: 20_000 });

      await page.goto(news.article('script'));
      const box = page.locator('[data-kilat-signup]');
      await box.getByLabel('Alamat email').fill('tantangan-skrip@contoh.co.id');
      await box.getByRole('button', { name: 'Berlangganan' }).click();
      await box.getByRole('status').waitFor({ timeout: 20_000 });
      for (const e of ['halaman', 'bingkai', 'skrip']) expect(await k.api.core.subscribers.findByEmail(`tantangan-${e}@contoh.co.id`)).toBeDefined();
    } finally {
      await browser.close();
    }
    const noJs = await launchBrowser({ width: 375, height: 800, javaScriptEnabled: false });
    try {
      const page = await noJs.context.newPage();
      await page.goto(`${k.baseUrl}/`);
      await page.getByLabel(/Alamat email/).fill('tantangan-tanpa-js@contoh.co.id');
      await page.getByRole('button', { name: /Berlangganan/ }).click();
      await page.waitForLoadState();
      expect(await page.getByRole('alert').textContent()).toMatch(/Aktifkan JavaScript/);
      await screenshot(page, 'challenge-nojs-375');
      expect(await k.api.core.subscribers.findByEmail('tantangan-tanpa-js@contoh.co.id')).toBeUndefined();
    } finally {
      await noJs.close();
    }
  });
});
