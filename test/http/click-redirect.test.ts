import { SECRET_KEY, type Kilat } from '../helpers/kilat';
import { alertStatus, publish, waitForAlert } from '../helpers/lifecycle';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { useKilat } from '../helpers/use-kilat';
import type { CapturedMessage } from '../helpers/smtp-capture';
import { TokenSigner } from '../../src/subscribers/tokens';

const ARTICLE = 'https://berita.example/2026/12/banjir-jakarta?utm_source=kilat';
const TRACKED = /https?:\/\/127\.0\.0\.1:\d+\/r\/[A-Za-z0-9._-]+/;

/** An attribute value as a browser reads it (Handlebars writes `=` as &#x3D;). */
const unescape = (v: string) => v.replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))).replaceAll('&amp;', '&');
const hrefsIn = (m: CapturedMessage) => [...(m.parsed.html as string).matchAll(/href="([^"]+)"/g)].map((x) => unescape(x[1]!));
const readMoreIn = (m: CapturedMessage) => {
  const html = /<a\s+href="([^"]+)"[^>]*>\s*(?:Read more|Baca selengkapnya)\s*<\/a>/.exec(m.parsed.html as string)?.[1];
  const text = /(?:Read more|Baca selengkapnya): (\S+)/.exec(m.parsed.text ?? '')?.[1];
  return { html: html === undefined ? undefined : unescape(html), text };
};
const noFollow = (url: string, init: RequestInit = {}) => fetch(url, { redirect: 'manual', ...init });

describe('CLICK_TRACKING=on: the signed "Read more" redirect', () => {
  const k: Kilat = useKilat({ env: { CLICK_TRACKING: 'on' } }, async (kilat) => {
    await seedConfirmed(kilat.api.core.subscribers, 3, { locale: 'en', prefix: 'reader', domain: 'contoh.co.id' });
    await seedConfirmed(kilat.api.core.subscribers, 1, { locale: 'id', prefix: 'pembaca', domain: 'contoh.co.id' });
  });
  const copy = (alertId: string, email: string) => k.smtp.to(email).find((m) => (m.parsed.messageId ?? '').includes(`.a${alertId}.`))!;
  let alert: string;
  let other: string;
  const link = (i: number) => readMoreIn(copy(alert, `reader${i}@contoh.co.id`)).html!;

  beforeAll(async () => {
    alert = await publish(k, { title: 'Banjir di Jakarta', url: ARTICLE, locale: 'en' });
    await waitForAlert(k, alert);
    other = await publish(k, { title: 'Another story', url: 'https://berita.example/lain', locale: 'en' });
    await waitForAlert(k, other);
  });

  test("each reader's copy carries their own tracked link, in HTML and text, and the footer says so in the alert's language", async () => {
    const links = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const m = copy(alert, `reader${i}@contoh.co.id`);
      const { html, text } = readMoreIn(m);
      expect(html).toMatch(TRACKED);
      expect(text).toBe(html);
      links.add(html!);
      // the article URL is never the button's target: the redirect is the only way there
      expect(hrefsIn(m)).not.toContain(ARTICLE);
      expect(m.parsed.text).not.toContain(ARTICLE);
      expect(m.parsed.html).toContain('the “Read more” link goes through Kilat’s server, which counts that you opened the story');
      expect(m.parsed.text).toContain('About links: the “Read more” link goes through Kilat’s server');
    }
    expect(links.size).toBe(3);
    // an Indonesian alert, to the Indonesian reader: the disclosure in Bahasa Indonesia
    const id = await publish(k, { title: 'Banjir', url: 'https://berita.example/banjir-id', locale: 'id' });
    await waitForAlert(k, id);
    const m = copy(id, 'pembaca0@contoh.co.id');
    expect(readMoreIn(m).html).toMatch(TRACKED);
    expect(m.parsed.html).toContain('tautan “Baca selengkapnya” melewati server Kilat');
    expect(m.parsed.text).toContain('Tentang tautan: tautan “Baca selengkapnya” melewati server Kilat');
  });

  test("it redirects only to the alert's own article, whatever is added to the request", async () => {
    for (const url of [link(0), `${link(0)}?url=https://evil.example/`, `${link(0)}?next=%2F%2Fevil.example`]) {
      const res = await noFollow(url, { headers: { 'accept-language': 'en' } });
      expect([url, res.status, res.headers.get('location')]).toEqual([url, 302, ARTICLE]);
      expect(res.headers.get('cache-control')).toContain('no-store');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const path = new URL(link(0)).pathname;
    for (const hostile of [`/r/${encodeURIComponent('https://evil.example/')}`, '/r/https://evil.example/', `/r/${'x'.repeat(5000)}`, '//evil.example/r/x']) {
      const res = await noFollow(`${k.baseUrl}${hostile}`);
      expect([hostile, res.status >= 400 && res.status < 500, res.headers.get('location')]).toEqual([hostile, true, null]);
    }
    expect(path).toMatch(/^\/r\//);
  });

  test('tampered, foreign, wrong-purpose and expired tokens: a readable 4xx page, never a redirect, nothing counted', async () => {
    const before = (await alertStatus(k, alert)).outcomes.clicks;
    const token = new URL(link(1)).pathname.slice(3);
    const parts = token.split('.');
    const swap = (i: number, v: string) => parts.map((p, j) => (j === i ? v : p)).join('.');
    const sub = Number.parseInt(parts[1]!, 36);
    const ours = new TokenSigner([SECRET_KEY]);
    const foreign = new TokenSigner(['another-kilat-secret-key-0123456789abcdef']);
    const future = Math.floor(Date.now() / 1000) + 3600;
    const cases: [string, number, string][] = [
      [swap(1, (sub + 16).toString(36)), 400, 'This link does not work'],
      [swap(4, Number(other).toString(36)), 400, 'This link does not work'],
      [swap(5, 'A'.repeat(22)), 400, 'This link does not work'],
      [token.toUpperCase(), 400, 'This link does not work'],
      [foreign.sign({ purpose: 'click', subscriberId: sub, alertId: alert, expiresAt: future }), 400, 'This link does not work'],
      [ours.sign({ purpose: 'unsubscribe', subscriberId: sub, alertId: alert }), 400, 'This link does not work'],
      [ours.sign({ purpose: 'click', subscriberId: sub, expiresAt: future }), 400, 'This link does not work'],
      [ours.sign({ purpose: 'click', subscriberId: sub, alertId: '999999', expiresAt: future }), 404, 'Story not available'],
      [ours.sign({ purpose: 'click', subscriberId: sub, alertId: alert, expiresAt: Math.floor(Date.now() / 1000) - 60 }), 410, 'This link has expired'],
    ];
    for (const [t, status, text] of cases) {
      const res = await noFollow(`${k.baseUrl}/r/${t}`, { headers: { 'accept-language': 'en' } });
      expect([t, res.status, res.headers.get('location')]).toEqual([t, status, null]);
      const page = await res.text();
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page).toContain(text);
    }
    // the expired page still offers the story: the alert's own article, read from its record
    const expired = await (await noFollow(`${k.baseUrl}/r/${cases[cases.length - 1]![0]}`)).text();
    expect([...expired.matchAll(/href="([^"]+)"/g)].map((x) => unescape(x[1]!))).toContain(ARTICLE);
    // a client that asks for JSON gets the error shape
    const json = await noFollow(`${k.baseUrl}/r/${cases[0]![0]}`, { headers: { accept: 'application/json' } });
    expect(await json.json()).toEqual({ error: { code: 'token_invalid', message: expect.any(String) } });
    expect((await alertStatus(k, alert)).outcomes.clicks).toEqual(before);
  });

  test('each reader counts once as unique; replaying one link adds at most 3 to the total; HEAD and prefetches add nothing', async () => {
    const before = (await alertStatus(k, alert)).outcomes.clicks;
    // one reader's link replayed ten times: one unique reader, three clicks in the total
    for (let i = 0; i < 10; i++) expect((await noFollow(link(2))).status).toBe(302);
    expect((await alertStatus(k, alert)).outcomes.clicks).toEqual({ unique: before.unique + 1, total: before.total + 3 });
    // link checkers (HEAD) and browser prefetches redirect too, but are not readers
    expect((await noFollow(link(1), { method: 'HEAD' })).headers.get('location')).toBe(ARTICLE);
    expect((await noFollow(link(1), { headers: { 'sec-purpose': 'prefetch' } })).headers.get('location')).toBe(ARTICLE);
    expect((await alertStatus(k, alert)).outcomes.clicks).toEqual({ unique: before.unique + 1, total: before.total + 3 });
    // the same reader's real click: a second unique reader
    expect((await noFollow(link(1))).status).toBe(302);
    expect((await alertStatus(k, alert)).outcomes.clicks).toEqual({ unique: before.unique + 2, total: before.total + 4 });
    // the other alert's figures did not move
    expect((await alertStatus(k, other)).outcomes.clicks).toEqual({ unique: 0, total: 0 });
  });

  test('a preview and a test copy link straight to the article: no reader, nothing to count', async () => {
    const res = await fetch(`${k.baseUrl}/api/articles/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${k.config.publisherToken}` },
      body: JSON.stringify({ title: 'Pratinjau', body: 'Isi.', url: 'https://berita.example/pratinjau' }),
    });
    const preview = (await res.json()) as any;
    expect(preview.en.text).toContain('Read more: https://berita.example/pratinjau');
    expect(preview.id.html).toContain('href="https://berita.example/pratinjau"');
  });
});

describe('CLICK_TRACKING off (the default): the article link as it is, and no disclosure', () => {
  const k: Kilat = useKilat({}, async (kilat) => {
    await seedConfirmed(kilat.api.core.subscribers, 1, { locale: 'en', prefix: 'plain', domain: 'contoh.co.id' });
  });

  test('the copy links the article directly, says nothing about tracking; an old tracked link still redirects but counts nothing', async () => {
    const id = await publish(k, { title: 'Plain', url: ARTICLE, locale: 'en' });
    await waitForAlert(k, id);
    const m = k.smtp.to('plain0@contoh.co.id')[0]!;
    expect(readMoreIn(m)).toEqual({ html: ARTICLE, text: ARTICLE });
    expect(m.raw).not.toMatch(/\/r\//);
    expect(m.parsed.html).not.toContain('About links');
    expect(m.parsed.text).not.toContain('About links');
    const sub = (await k.api.core.subscribers.findByEmail('plain0@contoh.co.id'))!.id;
    const res = await noFollow(k.api.core.links.click(sub, id));
    expect([res.status, res.headers.get('location')]).toEqual([302, ARTICLE]);
    expect((await alertStatus(k, id)).outcomes.clicks).toEqual({ unique: 0, total: 0 });
  });
});
