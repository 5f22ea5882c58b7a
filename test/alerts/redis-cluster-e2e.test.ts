import fs from 'node:fs';
import path from 'node:path';
import { Cluster } from 'ioredis';
import { bearer, linkIn, postJson, startKilat, waitUntil, type Kilat } from '../helpers/kilat';
import { startTestCluster, type TestCluster } from '../helpers/redis-cluster';
import { AudienceRecount } from '../../src/subscribers/audience-recount';

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

    // the audience counters, the lookup's received count and the recount work across the masters too
    const audience = (await (await fetch(`${k.baseUrl}/api/stats/audience?days=7`, { headers: bearer })).json()) as any;
    expect(audience.totals.byStatus.confirmed).toBe(readers.length);
    expect(audience.days[6]).toMatchObject({ signups: readers.length, confirmations: readers.length });
    const ani = await postJson(`${k.baseUrl}/api/subscribers/lookup`, { email: readers[0] }, bearer);
    expect([ani.status, ani.body.alertsReceived]).toEqual([200, 1]);
    await (k.api.core.redis as unknown as Cluster).hincrby(k.api.core.keys.audienceTotals(k.api.core.keys.addressIndex(readers[0]!).shard), 'st:p', 2);
    const recount = await new AudienceRecount({ redis: k.api.core.redis, keys: k.api.core.keys, subscribers: k.api.core.subscribers }).recount({ repair: true });
    expect([recount.differences.length, recount.repaired.length, recount.scanned]).toEqual([1, 1, readers.length]);
    expect((await new AudienceRecount({ redis: k.api.core.redis, keys: k.api.core.keys, subscribers: k.api.core.subscribers }).recount()).differences).toEqual([]);
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

  test('named keys (one MULTI in {keys}) and the audit stream work on the cluster; a revoke is refused at once', async () => {
    const made = await postJson(`${k.baseUrl}/api/keys`, { name: 'Desk: Cluster', scopes: ['read'] }, bearer);
    expect(made.status).toBe(201);
    const key = { authorization: `Bearer ${made.body.secret}` };
    expect((await fetch(`${k.baseUrl}/api/stats/signups`, { headers: key })).status).toBe(200);
    expect((await postJson(`${k.baseUrl}/api/keys/${made.body.key.id}/revoke`, {}, bearer)).body.changed).toBe(true);
    expect((await fetch(`${k.baseUrl}/api/stats/signups`, { headers: key })).status).toBe(401);
    const audit = (await (await fetch(`${k.baseUrl}/api/audit`, { headers: bearer })).json()) as { entries: { action: string; actor: { name: string } }[] };
    // the last publish above is the scheduled follow-up, audited as alert.schedule
    expect(audit.entries.slice(0, 3).map((e) => `${e.actor.name} ${e.action}`)).toEqual(['bootstrap key.revoke', 'bootstrap key.create', 'bootstrap alert.schedule']);
  });
});
