import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { fetchContent, FetchError, parseAllowList, refusedRange } from '../../src/newsroom/fetch-content';
import { feedHash } from '../../src/newsroom/feed-watcher';
import { kilatCli } from '../helpers/cli';
import { startKilat, waitUntil, type Kilat } from '../helpers/kilat';

// Address checks are pure: these never touch the network.
describe('which addresses content fetches may reach', () => {
  test.each([
    '127.0.0.1', '127.0.0.2', '10.0.0.5', '172.16.3.4', '192.168.1.1', '169.254.169.254', '100.100.100.200', '0.0.0.0', '255.255.255.255', '224.0.0.1',
    '::1', '::', 'fc00::1', 'fd00:ec2::254', 'fe80::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1', '64:ff9b::a00:1', '2002:a00:1::1', 'ff02::1',
  ])('%s is refused', (address) => {
    expect(refusedRange(address)).toBeDefined();
  });
  test.each(['93.184.216.34', '8.8.8.8', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:93.184.216.34'])('%s (public) is allowed', (address) => {
    expect(refusedRange(address)).toBeUndefined();
  });
  test('FETCH_ALLOW_HOSTS admits named hosts, subdomains and networks, nothing else', () => {
    const allow = parseAllowList(['feeds.intranet.example', '*.cms.example', '10.1.0.0/16', '::1']);
    expect(allow.host('FEEDS.intranet.example')).toBe(true);
    expect(allow.host('a.b.cms.example')).toBe(true);
    expect(allow.host('cms.example.evil')).toBe(false);
    expect(allow.host('intranet.example')).toBe(false);
    expect(allow.address('10.1.200.3')).toBe(true);
    expect(allow.address('::ffff:10.1.0.9')).toBe(true);
    expect(allow.address('10.2.0.1')).toBe(false);
    expect(allow.address('::1')).toBe(true);
    expect(() => parseAllowList(['http://x'])).toThrow();
  });
});

/** A news site on 127.0.0.1 that misbehaves, and an "internal" service on the other loopback addresses. */
async function startServers() {
  const internalHits: string[] = [];
  const internal = http.createServer((req, res) => {
    internalHits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(
      '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><guid>secret-1</guid><title>RAHASIA INTERNAL</title><description>kata sandi admin</description></item></channel></rss>',
    );
  });
  // '::' listens on every loopback address, IPv4 (127.0.0.2) and IPv6 (::1) alike.
  await new Promise<void>((r) => internal.listen(0, '::', () => r()));
  const ip = (internal.address() as AddressInfo).port;
  const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024));
  let endlessWritten = 0;
  let redirectFeed = false;
  const rss = '<?xml version="1.0"?><rss version="2.0"><channel><title>Berita</title><item><guid>pub-1</guid><title>Berita publik</title><description>Isi.</description></item></channel></rss>';
  const site = http.createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/to-internal') return void res.writeHead(302, { location: `http://127.0.0.2:${ip}/secret` }).end();
    if (path === '/to-internal-v6') return void res.writeHead(301, { location: `http://[::1]:${ip}/secret` }).end();
    if (path === '/feed.xml') {
      if (redirectFeed) return void res.writeHead(302, { location: `http://127.0.0.2:${ip}/feed.xml` }).end();
      return void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss);
    }
    if (path === '/bomb.xml') return void res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip' }).end(bomb);
    if (path === '/endless') {
      res.writeHead(200, { 'content-type': 'text/html' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        // bounded, and stops as soon as the client hangs up
        while (endlessWritten < 200 * 1024 * 1024 && !res.destroyed) {
          endlessWritten += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    if (path === '/drip') {
      res.writeHead(200, { 'content-type': 'text/html' });
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write('.')), 100);
      res.on('close', () => clearInterval(t));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  return {
    base,
    internalPort: ip,
    internalHits,
    get endlessWritten() {
      return endlessWritten;
    },
    redirectFeed: () => (redirectFeed = true),
    stop: async () => {
      for (const s of [site, internal]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}

describe('content fetches on real servers: redirects to internal addresses, bombs, endless and slow bodies', () => {
  let s: Awaited<ReturnType<typeof startServers>>;
  const allow = parseAllowList(['127.0.0.1']);
  const policy = { allow, timeoutMs: 5000, maxBytes: 10 * 1024 * 1024 };
  beforeAll(async () => {
    s = await startServers();
  });
  afterAll(async () => {
    await s.stop();
  });
  const refused = async (url: string) => {
    const err = await fetchContent(url, policy).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchError);
    return err as FetchError;
  };

  test('a redirect from an allowed host to another loopback address (IPv4 or IPv6) is refused before connecting', async () => {
    expect((await refused(`${s.base}/to-internal`)).code).toBe('refused_address');
    expect((await refused(`${s.base}/to-internal-v6`)).message).toMatch(/refused: ::1 is a loopback address/);
    expect(s.internalHits).toEqual([]);
  });

  test('an internal address named directly is refused, whatever its spelling', async () => {
    for (const url of [`http://127.0.0.2:${s.internalPort}/`, `http://[::1]:${s.internalPort}/`, `http://[::ffff:127.0.0.2]:${s.internalPort}/`, `http://2130706434:${s.internalPort}/`]) {
      expect((await refused(url)).code).toBe('refused_address');
    }
    expect(s.internalHits).toEqual([]);
  });

  test('a host name is resolved and its addresses checked before connecting (localhost is loopback)', async () => {
    const err = await fetchContent(`http://localhost:${s.internalPort}/`, { ...policy, allow: parseAllowList([]) }).catch((e: unknown) => e as FetchError);
    expect(err).toBeInstanceOf(FetchError);
    expect((err as FetchError).message).toMatch(/^refused: localhost is (127\.0\.0\.1|::1), a loopback address/);
    expect(s.internalHits).toEqual([]);
  });

  test('a gzip bomb (200 MB from a small response) stops at the decoded size limit, without the memory', async () => {
    const before = process.memoryUsage().rss;
    const err = await refused(`${s.base}/bomb.xml`);
    expect(err.code).toBe('too_large');
    expect(err.message).toContain('(decoded)');
    expect(process.memoryUsage().rss - before).toBeLessThan(120 * 1024 * 1024);
  });

  test('an endless body is cut at the limit while it streams', async () => {
    expect((await refused(`${s.base}/endless`)).code).toBe('too_large');
    await waitUntil(async () => s.endlessWritten > 0, 2000, 'server wrote');
    // The client hung up at 10 MB; the server got far less than its 200 MB out.
    expect(s.endlessWritten).toBeLessThan(60 * 1024 * 1024);
  });

  test('a body that never ends in time stops at the time limit', async () => {
    const started = Date.now();
    const err = await fetchContent(`${s.base}/drip`, { ...policy, timeoutMs: 800 }).catch((e: unknown) => e as FetchError);
    expect(err).toBeInstanceOf(FetchError);
    expect((err as FetchError).code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  test('kilat publish --url refuses a page that redirects inward', async () => {
    const k = await startKilat({ workers: false, env: { FETCH_ALLOW_HOSTS: '127.0.0.1' } });
    try {
      const r = await kilatCli(k.env, 'publish', '--dry-run', '--url', `${s.base}/to-internal`);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot fetch .*refused: 127\.0\.0\.2 is a loopback address/);
      expect(s.internalHits).toEqual([]);
    } finally {
      await k.stop();
    }
  });
});

describe('a feed that starts redirecting to an internal service mails nothing from it', () => {
  let s: Awaited<ReturnType<typeof startServers>>;
  let k: Kilat;
  beforeAll(async () => {
    s = await startServers();
    k = await startKilat({ env: { FEEDS: JSON.stringify([{ url: `${s.base}/feed.xml` }]), FEED_INTERVAL: '1', FEED_TIMEOUT_MS: '2000', FETCH_ALLOW_HOSTS: '127.0.0.1' } });
    const sub = await k.api.core.subscribers.signup({ email: 'pembaca@contoh.co.id', locale: 'id', topics: [] });
    await k.api.core.subscribers.confirm(sub.id, (await k.api.core.subscribers.get(sub.id))!.nonce);
  });
  afterAll(async () => {
    await k.stop();
    await s.stop();
  });

  test('the poll fails with a clear reason, the internal service is never asked, and no alert is made', async () => {
    const state = () => k.redis.client.hgetall(k.api.core.keys.feedState(feedHash(`${s.base}/feed.xml`)));
    await waitUntil(async () => (await state()).initialised, 10_000, 'feed initialised');
    s.redirectFeed();
    const st = await waitUntil(async () => ((await state()).lastError ? state() : undefined), 10_000, 'poll error recorded');
    expect(st.lastError).toMatch(/^refused: 127\.0\.0\.2 is a loopback address/);
    expect(s.internalHits).toEqual([]);
    expect(await k.redis.client.llen(k.api.core.keys.recentAlerts())).toBe(0);
    expect(k.smtp.messages.filter((m) => /RAHASIA/.test(m.parsed.subject ?? ''))).toEqual([]);
  });
});
