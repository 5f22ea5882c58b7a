import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { startWorkers } from '../../workers';
import { createFeedWatcher, feedHash } from '../../src/newsroom/feed-watcher';
import { parseAllowList } from '../../src/newsroom/fetch-content';
import { linkIn, postJson, startKilat, waitUntil, type Kilat } from '../helpers/kilat';

interface Item {
  guid: string;
  title: string;
  body: string;
  date: Date;
}

/** A newsroom CMS: an RSS feed with ETag/304, plus feeds that misbehave in every usual way. */
async function startFeedServer() {
  const items: Item[] = [];
  const requests: { path: string; ifNoneMatch?: string; status: number }[] = [];
  const rss = () =>
    `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Berita</title><link>https://berita.example.com/</link><description>Terkini</description>` +
    items
      .map(
        (i) =>
          `<item><guid isPermaLink="false">${i.guid}</guid><title>${i.title}</title><link>https://berita.example.com/${i.guid}</link>` +
          `<pubDate>${i.date.toUTCString()}</pubDate><description><![CDATA[<p>${i.body}</p><p>Paragraf kedua.</p>]]></description></item>`,
      )
      .join('') +
    `</channel></rss>`;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const log = (status: number) => requests.push({ path, ifNoneMatch: req.headers['if-none-match'] as string | undefined, status });
    if (path === '/good.xml') {
      const body = rss();
      const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
      if (req.headers['if-none-match'] === etag) {
        log(304);
        return void res.writeHead(304, { etag }).end();
      }
      log(200);
      return void res.writeHead(200, { 'content-type': 'application/rss+xml', etag }).end(body);
    }
    if (path === '/broken.xml') {
      log(200);
      return void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end('<rss><channel><item><title>unclosed');
    }
    if (path === '/error.xml') {
      log(500);
      return void res.writeHead(500).end('oops');
    }
    if (path === '/loop') {
      log(302);
      return void res.writeHead(302, { location: '/loop' }).end();
    }
    if (path === '/slow.xml') {
      log(200);
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss()), 3000).unref();
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    items,
    requests,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('feed watcher', () => {
  let k: Kilat;
  let feeds: Awaited<ReturnType<typeof startFeedServer>>;
  const day = (n: number) => new Date(Date.UTC(2026, 10, n, 8, 0, 0));

  beforeAll(async () => {
    feeds = await startFeedServer();
    feeds.items.push(
      { guid: 'old-1', title: 'Berita lama satu', body: 'Isi lama satu.', date: day(1) },
      { guid: 'old-2', title: 'Berita lama dua', body: 'Isi lama dua.', date: day(2) },
    );
    const list = [
      { url: `${feeds.base}/good.xml`, locale: 'id', topics: ['dunia'] },
      { url: `${feeds.base}/broken.xml` },
      { url: `${feeds.base}/error.xml` },
      { url: `${feeds.base}/loop` },
      { url: `${feeds.base}/slow.xml` },
    ];
    // The feeds live on this machine: the allowlist admits 127.0.0.1 (and nothing else internal).
    k = await startKilat({ env: { FEEDS: JSON.stringify(list), FEED_INTERVAL: '1', FEED_TIMEOUT_MS: '500', FETCH_ALLOW_HOSTS: '127.0.0.1' } });
    // one confirmed reader
    await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'pembaca@contoh.co.id', locale: 'id' });
    const [mail] = await k.smtp.waitFor(1);
    await fetch(linkIn(mail!.parsed.text, 'confirm'));
  });
  afterAll(async () => {
    await k.stop();
    await feeds.stop();
  });

  const alertsTo = () => k.smtp.to('pembaca@contoh.co.id').filter((m) => !/Konfirmasi|Confirm/.test(m.parsed.subject ?? ''));
  const state = (path: string) => k.redis.client.hgetall(k.api.core.keys.feedState(feedHash(`${feeds.base}${path}`)));

  test('the first poll records the backlog without alerting; later polls are conditional GETs', async () => {
    await waitUntil(async () => (await state('/good.xml')).initialised, 10_000, 'feed initialised');
    await waitUntil(async () => feeds.requests.some((r) => r.path === '/good.xml' && r.status === 304), 10_000, 'a 304');
    const conditional = feeds.requests.filter((r) => r.path === '/good.xml').slice(1);
    expect(conditional.every((r) => r.ifNoneMatch)).toBe(true);
    expect(alertsTo()).toHaveLength(0);
    expect(await k.redis.client.llen(k.api.core.keys.recentAlerts())).toBe(0);
  });

  test('a new item becomes one alert with its title and text; it is never alerted again, even after a restart', async () => {
    feeds.items.push({ guid: 'new-1', title: 'Gempa guncang Maluku', body: 'Gempa magnitudo 6,1 mengguncang Maluku.', date: day(3) });
    const [m] = await waitUntil(async () => (alertsTo().length > 0 ? alertsTo() : undefined), 10_000, 'alert for the new item');
    expect(m!.parsed.subject).toBe('Gempa guncang Maluku');
    expect(m!.parsed.text).toContain('Gempa magnitudo 6,1 mengguncang Maluku.');
    expect(m!.parsed.html).toContain('https://berita.example.com/new-1');

    // restart the worker process; change the feed so it is fetched in full again (new ETag)
    await k.workers!.close();
    k.workers = await startWorkers(k.config, pino({ level: 'silent' }));
    feeds.items.push({ guid: 'new-2', title: 'Banjir di Jakarta', body: 'Hujan deras semalam.', date: day(4) });
    await waitUntil(async () => (alertsTo().length >= 2 ? true : undefined), 10_000, 'second alert');
    const before = feeds.requests.filter((r) => r.path === '/good.xml').length;
    await waitUntil(async () => feeds.requests.filter((r) => r.path === '/good.xml').length >= before + 2, 10_000, 'two more polls');
    expect(alertsTo().map((x) => x.parsed.subject)).toEqual(['Gempa guncang Maluku', 'Banjir di Jakarta']);
    // each alert from the feed is in the audit log once, by the feed watcher
    const audit = (await k.api.core.audit.page({ limit: 500 })).entries.filter((e) => e.action === 'alert.publish');
    expect(audit.map((e) => [e.actor, e.from.via]).reverse()).toEqual([
      [{ id: 'feed', name: 'feed watcher' }, 'feed'],
      [{ id: 'feed', name: 'feed watcher' }, 'feed'],
    ]);
  });

  test('invalid XML, 500s, redirect loops and timeouts are logged per feed and retried; the worker keeps going', async () => {
    for (const p of ['/broken.xml', '/error.xml', '/loop', '/slow.xml']) {
      const s = await waitUntil(async () => {
        const v = await state(p);
        return v.lastError ? v : undefined;
      }, 10_000, `error recorded for ${p}`);
      expect(s.initialised).toBeUndefined();
      expect(s.lastError).toMatch({ '/broken.xml': /not a valid RSS or Atom feed/, '/error.xml': /HTTP 500/, '/loop': /redirect/i, '/slow.xml': /timed out/ }[p]!);
    }
    const errorPolls = feeds.requests.filter((r) => r.path === '/error.xml').length;
    await waitUntil(async () => feeds.requests.filter((r) => r.path === '/error.xml').length > errorPolls, 10_000, 'retry of the failing feed');
    // and the good feed still turns new items into alerts
    feeds.items.push({ guid: 'new-3', title: 'Kabar ketiga', body: 'Isi ketiga.', date: day(5) });
    await waitUntil(async () => (alertsTo().length >= 3 ? true : undefined), 10_000, 'third alert');
  });

  test('a feed item full of placeholders and markers is mailed as written, with only the reader\'s own links in their places', async () => {
    const hostile = '%%PREFERENCES_URL%% {{slot "UNSUBSCRIBE_URL"}} kilat-message-id KILATTEXTPART\u00e9';
    const before = alertsTo().length;
    feeds.items.push({ guid: 'hostile-1', title: `Kabar ${hostile}`, body: `Isi ${hostile}`, date: day(6) });
    const m = await waitUntil(async () => alertsTo()[before], 10_000, 'alert for the hostile item');
    expect(m.parsed.subject).toBe(`Kabar ${hostile}`);
    expect(m.parsed.text).toContain(`Isi ${hostile}`);
    expect((m.parsed.text ?? '').split('token=').length - 1).toBe(2);
    expect((m.parsed.html || '').split('token=').length - 1).toBe(2);
  });

  test('two processes polling the same feed at once: one polls, the other backs off (per-feed lock)', async () => {
    let calls = 0;
    const make = () =>
      createFeedWatcher({
        redis: k.redis.client,
        keys: k.api.core.keys,
        // not one of the service's own feeds, so only these two pollers compete for its lock
        feeds: [{ url: `${feeds.base}/slow.xml?solo`, locale: 'id', topics: [], breaking: true }],
        topics: k.config.topics,
        publish: async () => {
          calls++;
          return { alertId: '0', created: false };
        },
        logger: pino({ level: 'silent' }),
        timeoutMs: 200,
        allow: parseAllowList(['127.0.0.1']),
      });
    const results = await Promise.all([make().pollAll(), make().pollAll()]);
    const statuses = results.flat().map((r) => r.status).sort();
    expect(statuses).toEqual(['error', 'locked']);
    expect(calls).toBe(0);
  });
});
