import http from 'node:http';
import { isLoopbackRequest } from '../../src/http/loopback';
import { bearer, postJson, startKilat, type Kilat } from '../helpers/kilat';
import { useKilat } from '../helpers/use-kilat';

const METRICS_TOKEN = 'metrics-token-for-the-test-0123';

/** Sends a raw request with a chosen Host header (fetch will not let a test set Host). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function redisCalls(k: Kilat): Promise<number> {
  const info = await k.redis.client.info('commandstats');
  return [...info.matchAll(/calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

describe('/metrics without METRICS_TOKEN: this machine only; and cached', () => {
  let k: Kilat;
  beforeAll(async () => {
    k = await startKilat({ workers: false });
    // some alerts, so a scrape has work to do (one read per recent alert)
    for (let i = 0; i < 30; i++) await postJson(`${k.baseUrl}/api/articles`, { title: `Kabar ${i}`, body: 'Isi.' }, bearer);
  });
  afterAll(async () => {
    await k.stop();
  });

  test('twenty scrapes in a row cost Redis about what one does', async () => {
    // The first scrape of this process: nothing cached yet.
    const before = await redisCalls(k);
    const one = await get(`${k.baseUrl}/metrics`);
    expect(one.status).toBe(200);
    const cost = (await redisCalls(k)) - before;
    expect(cost).toBeGreaterThan(30);
    const start = await redisCalls(k);
    const bodies = await Promise.all(Array.from({ length: 20 }, () => get(`${k.baseUrl}/metrics`)));
    expect(bodies.every((b) => b.status === 200 && b.body === one.body)).toBe(true);
    expect((await redisCalls(k)) - start).toBeLessThan(5);
  });

  test('a loopback client is answered; one proxied or addressed by another host name is not', async () => {
    expect((await get(`${k.baseUrl}/metrics`)).status).toBe(200);
    const proxiedOrForeign: Record<string, string>[] = [{ 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9' }, { host: 'evil.example' }, { host: 'rebind.attacker.example:3000' }];
    for (const headers of proxiedOrForeign) {
      const r = await get(`${k.baseUrl}/metrics`, headers);
      expect(r.status).toBe(403);
      expect(r.body).toContain('METRICS_TOKEN');
    }
  });

  test('the peer address decides, never a header: a remote peer is refused', () => {
    const req = (remoteAddress: string, host = 'localhost') => ({ socket: { remoteAddress }, headers: { host } }) as unknown as http.IncomingMessage;
    expect(isLoopbackRequest(req('127.0.0.1'))).toBe(true);
    expect(isLoopbackRequest(req('::ffff:127.0.0.1', '127.0.0.1:3000'))).toBe(true);
    expect(isLoopbackRequest(req('::1', '[::1]:3000'))).toBe(true);
    expect(isLoopbackRequest(req('203.0.113.9'))).toBe(false);
    expect(isLoopbackRequest(req('10.0.0.2'))).toBe(false);
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  const k = useKilat({ workers: false, env: { METRICS_TOKEN } });
  test('needs the bearer token, from anywhere', async () => {
    expect((await get(`${k.baseUrl}/metrics`)).status).toBe(401);
    expect((await get(`${k.baseUrl}/metrics`, { authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
    const ok = await get(`${k.baseUrl}/metrics`, { authorization: `Bearer ${METRICS_TOKEN}`, host: 'metrics.kilat.example' });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('kilat_emails_sent_total');
  });
});

describe('/dev/outbox (no SMTP_URL): this machine only', () => {
  const k = useKilat({ workers: false, env: { SMTP_URL: '' } });
  test('answers loopback; a proxied request or a foreign Host gets a 404', async () => {
    expect((await get(`${k.baseUrl}/dev/outbox`)).status).toBe(200);
    expect((await get(`${k.baseUrl}/dev/outbox`, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(404);
    expect((await get(`${k.baseUrl}/dev/outbox`, { host: 'attacker.example' })).status).toBe(404);
    expect((await get(`${k.baseUrl}/dev/outbox/x.eml?format=raw`, { host: 'attacker.example' })).status).toBe(404);
  });
});

describe('/admin sessions', () => {
  let k: Kilat;
  beforeAll(async () => {
    // TRUST_PROXY: each test below signs in as its own client address.
    k = await startKilat({ workers: false, env: { TRUST_PROXY: '1' } });
  });
  afterAll(async () => {
    await k.stop();
  });
  const signIn = async (token: string, ip: string, cookie?: string) => {
    const res = await fetch(`${k.baseUrl}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip, ...(cookie ? { cookie } : {}) },
      body: new URLSearchParams({ token, next: '/admin' }).toString(),
    });
    const set = res.headers.get('set-cookie') ?? '';
    return { status: res.status, cookie: /kilat_admin=([^;]+)/.exec(set)?.[1] };
  };
  const dashboard = (cookie: string) => fetch(`${k.baseUrl}/admin`, { redirect: 'manual', headers: { cookie: `kilat_admin=${cookie}`, accept: 'text/html' } });

  test('signing out ends the session: the same cookie no longer opens /admin', async () => {
    const { status, cookie } = await signIn(k.config.publisherToken, '198.51.100.1');
    expect(status).toBe(303);
    expect((await dashboard(cookie!)).status).toBe(200);
    const out = await fetch(`${k.baseUrl}/admin/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: `kilat_admin=${cookie}` } });
    expect(out.status).toBe(303);
    const again = await dashboard(cookie!);
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toMatch(/^\/admin\/login/);
  });

  test('each sign-in is a new session; the one the browser had stops working; Redis holds only a hash of the id', async () => {
    const a = await signIn(k.config.publisherToken, '198.51.100.2');
    const b = await signIn(k.config.publisherToken, '198.51.100.2', `kilat_admin=${a.cookie}`);
    expect(b.cookie).toBeDefined();
    expect(b.cookie).not.toBe(a.cookie);
    expect((await dashboard(a.cookie!)).status).toBe(303);
    expect((await dashboard(b.cookie!)).status).toBe(200);
    const keys = await k.redis.client.keys('*admin*session*');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join(' ')).not.toContain(b.cookie!);
  });

  test('ten wrong tokens from one client, then even the right one is refused (429) for a while; other clients are not', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await signIn(`wrong-token-${i}-0123456789`, '203.0.113.77')).status);
    expect(statuses).toEqual(Array(10).fill(401));
    const blocked = await fetch(`${k.baseUrl}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '203.0.113.77', accept: 'text/html' },
      body: new URLSearchParams({ token: k.config.publisherToken }).toString(),
      redirect: 'manual',
    });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.headers.get('set-cookie')).toBeNull();
    expect((await signIn(k.config.publisherToken, '203.0.113.78')).status).toBe(303);
  });
});
