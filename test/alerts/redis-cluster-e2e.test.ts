import fs from 'node:fs';
import path from 'node:path';
import { Cluster } from 'ioredis';
import { bearer, linkIn, postJson, startKilat, waitUntil, type Kilat } from '../helpers/kilat';
import { startTestCluster, type TestCluster } from '../helpers/redis-cluster';

const seed = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'seed-article.json'), 'utf8'));

/** The whole flow on a three-master Redis Cluster: keys spread over the nodes, every script in one slot. */
describe('on a Redis Cluster', () => {
  let cluster: TestCluster;
  let k: Kilat;
  beforeAll(async () => {
    cluster = await startTestCluster();
    k = await startKilat({ env: { REDIS_URL: cluster.url } });
  });
  afterAll(async () => {
    await k?.stop();
    await cluster?.stop();
  });

  test('sign-up, confirm and an alert work, with data on every master', async () => {
    expect(k.api.core.redis).toBeInstanceOf(Cluster);
    const readers = ['ani@contoh.co.id', 'budi@contoh.co.id', 'cici@contoh.co.id', 'dewi@contoh.co.id', 'eka@contoh.co.id', 'fajar@contoh.co.id'];
    for (const email of readers) {
      expect((await postJson(`${k.baseUrl}/api/subscriptions`, { email, locale: 'id' })).status).toBe(202);
    }
    await k.smtp.waitFor(readers.length);
    for (const email of readers) {
      const res = await fetch(linkIn(k.smtp.to(email)[0]!.parsed.text, 'confirm'));
      expect(res.status).toBe(200);
    }
    const before = k.smtp.messages.length;
    const published = await postJson(`${k.baseUrl}/api/articles`, { ...seed, publishedAt: new Date().toISOString() }, bearer);
    expect(published.status).toBe(202);
    const alerts = await k.smtp.waitFor(before + readers.length);
    expect(alerts.slice(before).flatMap((m) => m.to).sort()).toEqual([...readers].sort());
    expect(alerts.slice(before).every((m) => m.parsed.subject === seed.title)).toBe(true);
    const status = await waitUntil(async () => {
      const s = (await (await fetch(`${k.baseUrl}/api/alerts/${published.body.alertId}`, { headers: bearer })).json()) as any;
      return s.state === 'completed' ? s : undefined;
    }, 15_000, 'alert completed');
    expect(status).toMatchObject({ total: readers.length, sent: readers.length, failed: 0 });

    // operations views work too (their reads span many alerts, so many slots)
    const metrics = await fetch(`${k.baseUrl}/metrics`, { headers: bearer });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/kilat_alerts\{state="completed"\} 1/);

    // A scheduled follow-up reads the original's ledger (another slot) for each reader's threading.
    const originals = new Map(alerts.slice(before).map((m) => [m.to[0]!, m.parsed.messageId!]));
    const update = await postJson(
      `${k.baseUrl}/api/articles`,
      { title: 'Pembaruan di cluster', body: 'Kabar terbaru.', updates: published.body.alertId, publishAt: new Date(Date.now() + 1000).toISOString() },
      bearer,
    );
    expect(update.body.status).toBe('scheduled');
    const updates = (await k.smtp.waitFor(before + 2 * readers.length)).slice(before + readers.length);
    for (const m of updates) expect([m.to[0], m.parsed.inReplyTo]).toEqual([m.to[0], originals.get(m.to[0]!)]);

    // the keys really are spread: each master holds some of Kilat's data
    const perNode = await Promise.all(
      (k.api.core.redis as unknown as Cluster).nodes('master').map(async (node) => (await node.keys('kilat:*')).length),
    );
    expect(perNode).toHaveLength(3);
    for (const n of perNode) expect(n).toBeGreaterThan(0);
  });
});
