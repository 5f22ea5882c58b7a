import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { parseConfig } from '../../src/config';
import { bearer, linkIn, postJson, SECRET_KEY, startKilat, waitUntil, type Kilat } from '../helpers/kilat';
import { postForm } from '../helpers/forms';

const NEWS = 'https://berita.example.com';
const FOREIGN = 'https://penipu.example.net';
const ARTICLE = `${NEWS}/2026/12/02/banjir-rob-jakarta`;

const form = (url: string, fields: Record<string, string | string[]>, headers: Record<string, string>) =>
  fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(Object.entries(fields).flatMap(([k, v]) => [v].flat().map((x): [string, string] => [k, x]))).toString() });

describe('EMBED_ORIGINS setting', () => {
  const base = { NODE_ENV: 'test', PUBLISHER_TOKEN: 'x'.repeat(20), SECRET_KEY };
  test('a comma list of origins is normalised; a URL with a path, a bare host or another scheme is refused by name', () => {
    expect(parseConfig({ ...base, EMBED_ORIGINS: ' https://Berita.example.com, http://localhost:8080 ' }).embedOrigins).toEqual(['https://berita.example.com', 'http://localhost:8080']);
    expect(parseConfig(base).embedOrigins).toEqual([]);
    for (const bad of ['https://berita.example.com/artikel', 'berita.example.com', 'ftp://berita.example.com', 'https://a.example,*']) {
      expect(() => parseConfig({ ...base, EMBED_ORIGINS: bad })).toThrow(/EMBED_ORIGINS/);
    }
    expect(() => parseConfig({ ...base, SIGNUP_CHALLENGE: 'recaptcha' })).toThrow(/SIGNUP_CHALLENGE/);
  });
});

describe('embedding the sign-up box', () => {
  let k: Kilat;
  beforeAll(async () => {
    k = await startKilat({ env: { EMBED_ORIGINS: NEWS } });
  });
  afterAll(async () => {
    await k.stop();
  });

  const subscriber = (email: string) => k.api.core.subscribers.findByEmail(email);

  test('the CORS preflight is answered for an allowed origin and refused (no CORS headers) for any other', async () => {
    const ok = await fetch(`${k.baseUrl}/api/subscriptions`, { method: 'OPTIONS', headers: { origin: NEWS, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(NEWS);
    expect(ok.headers.get('access-control-allow-methods')).toBe('POST');
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toBe('content-type');
    expect(ok.headers.get('vary')).toMatch(/Origin/);
    const no = await fetch(`${k.baseUrl}/api/subscriptions`, { method: 'OPTIONS', headers: { origin: FOREIGN, 'access-control-request-method': 'POST' } });
    expect(no.status).toBe(403);
    expect(no.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('a JSON sign-up from an allowed origin is accepted with CORS and attributed to the article; another origin is refused and stores nothing', async () => {
    const res = await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'skrip@contoh.co.id', locale: 'en', topics: ['dunia'], source: `${ARTICLE}?utm_source=x#top` }, { origin: NEWS });
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe(NEWS);
    const sub = (await subscriber('skrip@contoh.co.id'))!;
    expect(sub).toMatchObject({ locale: 'en', topics: ['dunia'], status: 'pending' });
    expect(await k.api.core.redis.hget(`kilat:{s${sub.id % 16}}:signup-source`, String(sub.id))).toContain(ARTICLE);

    const refused = await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'asing@contoh.co.id' }, { origin: FOREIGN });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.body.error.code).toBe('origin_not_allowed');
    expect(await subscriber('asing@contoh.co.id')).toBeUndefined();
  });

  test('the plain HTML form posts from an allowed origin without a CSRF cookie, and returns the reader to the article', async () => {
    const res = await form(`${k.baseUrl}/subscribe`, { email: 'formulir@contoh.co.id', locale: 'id', topics: ['ekonomi', 'dunia'], source: ARTICLE, redirect: `${ARTICLE}#langganan`, website: '' }, { origin: NEWS, referer: `${NEWS}/` });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${ARTICLE}#langganan`);
    expect(await subscriber('formulir@contoh.co.id')).toMatchObject({ locale: 'id', topics: ['ekonomi', 'dunia'] });
    await waitUntil(async () => k.smtp.to('formulir@contoh.co.id')[0], 10_000, 'confirmation email');

    // without a redirect: Kilat's own localised "check your inbox" page, with a way back
    const page = await form(`${k.baseUrl}/subscribe`, { email: 'tanpa-redirect@contoh.co.id', locale: 'en', source: ARTICLE }, { origin: NEWS });
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('Check your inbox');
    expect(text).toContain(`href="${ARTICLE}"`);
  });

  test('the form is refused with a readable 403 page from an origin not on EMBED_ORIGINS, and a redirect elsewhere is refused', async () => {
    const foreign = await form(`${k.baseUrl}/subscribe`, { email: 'asing2@contoh.co.id', locale: 'en' }, { origin: FOREIGN });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('content-type')).toMatch(/text\/html/);
    expect(await foreign.text()).toContain('was not sent from this site');
    // no Origin header, only a Referer: the Referer decides
    const byReferer = await form(`${k.baseUrl}/subscribe`, { email: 'asing3@contoh.co.id', locale: 'en' }, { referer: `${FOREIGN}/page` });
    expect(byReferer.status).toBe(403);

    for (const redirect of [`${FOREIGN}/phish`, 'javascript:alert(1)', '//penipu.example.net/', `${NEWS}.penipu.example.net/`]) {
      const res = await form(`${k.baseUrl}/subscribe`, { email: 'redirect@contoh.co.id', locale: 'en', redirect }, { origin: NEWS });
      expect({ redirect, status: res.status, location: res.headers.get('location') }).toEqual({ redirect, status: 400, location: null });
      expect(await res.text()).toContain('not allowed');
    }
    for (const e of ['asing2', 'asing3', 'redirect']) expect(await subscriber(`${e}@contoh.co.id`)).toBeUndefined();
  });

  test("Kilat's own page still needs its CSRF token; a form with no Origin and no Referer is treated as Kilat's own", async () => {
    const forged = await form(`${k.baseUrl}/subscribe`, { email: 'tanpa-csrf@contoh.co.id', locale: 'id' }, {});
    expect(forged.status).toBe(403);
    const own = await postForm(`${k.baseUrl}/subscribe`, { email: 'halaman@contoh.co.id', locale: 'id' }, { pageUrl: `${k.baseUrl}/`, headers: { origin: k.baseUrl } });
    expect(own.status).toBe(200);
    expect(await subscriber('tanpa-csrf@contoh.co.id')).toBeUndefined();
    expect(await subscriber('halaman@contoh.co.id')).toBeDefined();
  });

  test('a filled honeypot gets the same answer on every path, and nothing is stored or sent', async () => {
    const json = await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'bot1@contoh.co.id', website: 'http://spam.example' }, { origin: NEWS });
    expect(json.status).toBe(202);
    expect(json.body).toEqual({ status: 'pending' });
    const plain = await form(`${k.baseUrl}/subscribe`, { email: 'bot2@contoh.co.id', locale: 'en', redirect: ARTICLE, website: 'x' }, { origin: NEWS });
    expect(plain.status).toBe(303);
    const framed = await form(`${k.baseUrl}/embed?lang=en`, { email: 'bot3@contoh.co.id', locale: 'en', website: 'x' }, { origin: k.baseUrl });
    expect(framed.status).toBe(200);
    expect(await framed.text()).toContain('Check your inbox');
    for (const e of ['bot1', 'bot2', 'bot3']) expect(await subscriber(`${e}@contoh.co.id`)).toBeUndefined();
  });

  test('/embed is framable by EMBED_ORIGINS only, and follows the colours asked for while keeping text readable', async () => {
    const res = await fetch(`${k.baseUrl}/embed?lang=en&topics=dunia,gosip&accent=ffd400&bg=000000&text=111111&source=${encodeURIComponent(ARTICLE)}`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(new RegExp(`frame-ancestors 'self' ${NEWS.replace(/\./g, '\\.')}(;|$)`));
    expect(res.headers.get('x-frame-options')).toBeNull();
    const page = await res.text();
    expect(page).toContain('<html lang="en" data-kilat-frame>');
    expect(page).toContain('name="topics" value="dunia"');
    expect(page).not.toContain('gosip');
    expect(page).toContain(`name="source" value="${ARTICLE}"`);
    // yellow button gets dark text; #111 on black would be unreadable, so the text turns white
    expect(page).toMatch(/button \{[^}]*background: #ffd400; color: #1a1a1a;/);
    expect(page).toMatch(/body \{[^}]*color: #ffffff; background: #000000;/);
    // a frame post from a foreign page is refused
    const forged = await form(`${k.baseUrl}/embed?lang=en`, { email: 'frame-asing@contoh.co.id', locale: 'en' }, { origin: FOREIGN });
    expect(forged.status).toBe(403);
    expect(await subscriber('frame-asing@contoh.co.id')).toBeUndefined();
  });

  test('the frame form shows errors in the frame and its sign-up is attributed to the article', async () => {
    const bad = await form(`${k.baseUrl}/embed?lang=id`, { email: 'bukan-alamat', locale: 'id', source: ARTICLE }, { origin: k.baseUrl });
    expect(bad.status).toBe(400);
    const badPage = await bad.text();
    expect(badPage).toMatch(/role="alert"/);
    expect(badPage).toContain('value="bukan-alamat"');
    const ok = await form(`${k.baseUrl}/embed?lang=id`, { email: 'bingkai@contoh.co.id', locale: 'id', topics: 'olahraga', source: ARTICLE }, { origin: k.baseUrl });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('Periksa kotak masuk Anda');
    expect(await subscriber('bingkai@contoh.co.id')).toMatchObject({ locale: 'id', topics: ['olahraga'] });
  });

  test('/embed.js is served cross-origin and stays under 5 KB gzipped', async () => {
    const res = await fetch(`${k.baseUrl}/embed.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const body = Buffer.from(await res.arrayBuffer());
    const gz = gzipSync(body, { level: 9 }).length;
    expect(gz).toBeLessThan(5 * 1024);
    expect(body.toString()).not.toContain('KILAT_CONFIG');
  });

  test('sign-ups and confirmations are counted per source and day, shown as JSON and exported with the subscriber', async () => {
    const email = 'statistik@contoh.co.id';
    const source = `${NEWS}/2026/12/02/gempa-sulawesi`;
    await postJson(`${k.baseUrl}/api/subscriptions`, { email, locale: 'id', source }, { origin: NEWS });
    // a second sign-up of the same address is not a second reader brought in
    await postJson(`${k.baseUrl}/api/subscriptions`, { email, locale: 'id', source }, { origin: NEWS });
    const mail = await waitUntil(async () => k.smtp.to(email)[0], 10_000, 'confirmation');
    await fetch(linkIn(mail.parsed.text, 'confirm'));

    const none = await fetch(`${k.baseUrl}/api/stats/signups`);
    expect(none.status).toBe(401);
    const res = await fetch(`${k.baseUrl}/api/stats/signups`, { headers: bearer });
    expect(res.status).toBe(200);
    const stats = (await res.json()) as any;
    expect(stats.timeZone).toBe('Asia/Jakarta');
    const row = stats.rows.find((r: any) => r.source === source);
    expect(row).toEqual({ day: stats.to, source, kind: 'script', signups: 1, confirmations: 1 });
    expect(stats.rows.find((r: any) => r.source === ARTICLE && r.kind === 'form')).toMatchObject({ signups: 2, confirmations: 0 });

    for (const q of ['from=2026-13-01', 'from=yesterday', 'from=2026-02-30', 'from=2026-12-05&to=2026-12-01', 'from=2000-01-01&to=2026-01-01']) {
      const r = await fetch(`${k.baseUrl}/api/stats/signups?${q}`, { headers: bearer });
      expect({ q, status: r.status }).toEqual({ q, status: 400 });
    }
    const empty = (await (await fetch(`${k.baseUrl}/api/stats/signups?from=2025-01-01&to=2025-01-31`, { headers: bearer })).json()) as any;
    expect(empty).toMatchObject({ from: '2025-01-01', to: '2025-01-31', rows: [] });

    const sub = (await subscriber(email))!;
    const exported = await k.api.core.redis.hget(`kilat:{s${sub.id % 16}}:signup-source`, String(sub.id));
    expect(JSON.parse(exported!)).toMatchObject({ kind: 'script', source, locale: 'id' });
  });
});

describe('SIGNUP_CHALLENGE=altcha', () => {
  let k: Kilat;
  beforeAll(async () => {
    k = await startKilat({ workers: false, env: { EMBED_ORIGINS: NEWS, SIGNUP_CHALLENGE: 'altcha' } });
  });
  afterAll(async () => {
    await k.stop();
  });

  const solved = async (origin = NEWS) => {
    const res = await fetch(`${k.baseUrl}/api/signup-challenge`, { headers: { origin } });
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    const c = (await res.json()) as any;
    // What the browser does (templates/embed/embed.js): find n with SHA-256(salt + n) = challenge.
    let n = 0;
    while (n <= c.maxnumber && createHash('sha256').update(c.salt + n).digest('hex') !== c.challenge) n++;
    expect(n).toBeLessThanOrEqual(c.maxnumber);
    return Buffer.from(JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number: n, salt: c.salt, signature: c.signature })).toString('base64');
  };

  test('every sign-up path needs a solved challenge, and one solution buys one sign-up', async () => {
    const json = await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'c1@contoh.co.id' }, { origin: NEWS });
    expect(json.status).toBe(403);
    expect(json.body.error.code).toBe('challenge_required');
    const plain = await form(`${k.baseUrl}/subscribe`, { email: 'c2@contoh.co.id', locale: 'en' }, { origin: NEWS });
    expect(plain.status).toBe(403);
    expect(await plain.text()).toContain('Turn JavaScript on');
    const framed = await form(`${k.baseUrl}/embed?lang=en`, { email: 'c3@contoh.co.id', locale: 'en' }, { origin: k.baseUrl });
    expect(framed.status).toBe(403);
    const own = await postForm(`${k.baseUrl}/subscribe`, { email: 'c4@contoh.co.id', locale: 'en' }, { pageUrl: `${k.baseUrl}/` });
    expect(own.status).toBe(403);
    const forged = await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'c5@contoh.co.id', altcha: Buffer.from('{"algorithm":"SHA-256","challenge":"00","number":1,"salt":"x","signature":"y"}').toString('base64') });
    expect(forged.body.error.code).toBe('challenge_failed');
    for (const e of ['c1', 'c2', 'c3', 'c4', 'c5']) expect(await k.api.core.subscribers.findByEmail(`${e}@contoh.co.id`)).toBeUndefined();

    const altcha = await solved();
    const ok = await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'c6@contoh.co.id', altcha }, { origin: NEWS });
    expect(ok.status).toBe(202);
    const replay = await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'c7@contoh.co.id', altcha }, { origin: NEWS });
    expect(replay.status).toBe(403);
    expect(replay.body.error.code).toBe('challenge_failed');
    const formOk = await form(`${k.baseUrl}/subscribe`, { email: 'c8@contoh.co.id', locale: 'en', altcha: await solved() }, { origin: NEWS });
    expect(formOk.status).toBe(200);
    expect(await k.api.core.subscribers.findByEmail('c6@contoh.co.id')).toBeDefined();
    expect(await k.api.core.subscribers.findByEmail('c7@contoh.co.id')).toBeUndefined();
    expect(await k.api.core.subscribers.findByEmail('c8@contoh.co.id')).toBeDefined();
  });
});
