import { createKeys, SUBSCRIBER_SHARDS } from '../../src/keys';
import { SubscriberStore } from '../../src/subscribers/subscriber-store';
import { startTestRedis, type TestRedis } from '../helpers/redis-server';
import { storedSubscribers } from '../helpers/stored-subscribers';

describe('subscriber store (compact layout on a real redis-server)', () => {
  let redis: TestRedis;
  let store: SubscriberStore;
  beforeAll(async () => {
    redis = await startTestRedis();
    store = new SubscriberStore({ redis: redis.client, keys: createKeys('kilat') });
  });
  afterAll(async () => {
    await redis.stop();
  });

  test('sign-up, confirm, preferences and leaving round-trip every field, long addresses and topic lists included', async () => {
    const long = `${'a'.repeat(60)}@${'b'.repeat(40)}.example.com`;
    const now = Date.UTC(2026, 10, 27, 3, 0, 0);
    for (const email of ['ani@contoh.co.id', long]) {
      const { id, outcome } = await store.signup({ email, locale: 'id', topics: ['politik', 'ekonomi', 'dunia', 'olahraga'] }, now);
      expect(outcome).toBe('created');
      const pending = (await store.get(id))!;
      expect(pending).toMatchObject({ id, email, locale: 'id', topics: ['politik', 'ekonomi', 'dunia', 'olahraga'], status: 'pending', createdAt: now });
      expect(await store.confirm(id, 'wrong-nonce')).toBe('stale');
      expect(await store.confirm(id, pending.nonce, now + 5000)).toBe('confirmed');
      expect(await store.confirm(id, pending.nonce)).toBe('already_confirmed');
      expect((await store.findByEmail(email))).toMatchObject({ id, status: 'confirmed', confirmedAt: now + 5000 });
      const shard = store.shardOfEmail(email);
      expect(await store.activeIds(shard, 'id', 0, '+inf', 10)).toEqual([id]);

      expect(await store.setPreferences(id, { locale: 'en', topics: [] })).toBe(true);
      expect(await store.activeIds(shard, 'id', 0, '+inf', 10)).toEqual([]);
      expect(await store.activeIds(shard, 'en', 0, '+inf', 10)).toEqual([id]);
      // a sign-up for a confirmed address changes nothing until its owner confirms the new choices
      expect(await store.signup({ email, locale: 'id', topics: ['dunia'] })).toEqual({ id, outcome: 'change' });
      expect(await store.get(id)).toMatchObject({ status: 'confirmed', locale: 'en', topics: [] });
      const change = (await store.pendingChange(id))!;
      expect(change).toMatchObject({ locale: 'id', topics: ['dunia'] });
      expect(await store.confirm(id, change.nonce)).toBe('changed');
      expect(await store.get(id)).toMatchObject({ status: 'confirmed', locale: 'id', topics: ['dunia'], confirmedAt: now + 5000 });
      expect(await store.activeIds(shard, 'id', 0, '+inf', 10)).toEqual([id]);
      expect(await store.activeIds(shard, 'en', 0, '+inf', 10)).toEqual([]);
      expect(await store.confirm(id, change.nonce)).toBe('already_confirmed');
      expect(await store.setPreferences(id, { locale: 'en', topics: [] })).toBe(true);

      expect(await store.setStatus(id, 'unsubscribed')).toBe('confirmed');
      expect(await store.setStatus(id, 'unsubscribed')).toBe('unchanged');
      expect(await store.activeIds(shard, 'en', 0, '+inf', 10)).toEqual([]);
      // coming back starts a fresh double opt-in under the same id
      expect(await store.signup({ email, locale: 'en', topics: ['dunia'] })).toEqual({ id, outcome: 'resubscribe' });
      expect(await store.get(id)).toMatchObject({ status: 'pending', topics: ['dunia'], confirmedAt: undefined });

      expect(await store.erase(id)).toBe(true);
      expect(await store.get(id)).toBeUndefined();
      expect(await store.findByEmail(email)).toBeUndefined();
      expect(await store.erase(id)).toBe(false);
    }
    expect(await store.setStatus(999_999, 'bounced')).toBe('not_found');
  });

  test('activeIds pages through confirmed ids in order, skipping those who left, bounded by the range', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({ email: `reader${i}@contoh-${i % 7}.co.id`, locale: 'id' as const, topics: [] }));
    expect(await store.importConfirmed(rows)).toBe(3000);
    expect(await store.importConfirmed(rows.slice(0, 10))).toBe(0);
    const all = (await storedSubscribers(store)).filter((s) => s.email.startsWith('reader'));
    expect(all).toHaveLength(3000);
    const leaving = all.filter((_, i) => i % 5 === 0);
    for (const s of leaving) await store.setStatus(s.id, 'unsubscribed');
    const gone = new Set(leaving.map((s) => s.id));
    for (let shard = 0; shard < SUBSCRIBER_SHARDS; shard++) {
      const expected = all.filter((s) => s.id % SUBSCRIBER_SHARDS === shard && !gone.has(s.id)).map((s) => s.id).sort((a, b) => a - b);
      const paged: number[] = [];
      let after = 0;
      for (;;) {
        const page = await store.activeIds(shard, 'id', after, '+inf', 37);
        if (page.length === 0) break;
        paged.push(...page);
        after = page[page.length - 1]!;
      }
      expect(paged).toEqual(expected);
      if (expected.length > 4) {
        const [, lo, , hi] = expected;
        expect(await store.activeIds(shard, 'id', lo!, hi!, 1000)).toEqual(expected.slice(2, 4));
        expect(await store.countActive(shard, 'id', lo!, hi!)).toBe(2);
      }
    }
    const records = await store.getMany([...all.slice(0, 40).map((s) => s.id), 123_456_789]);
    expect(records.slice(0, 40).map((r) => r?.email)).toEqual(all.slice(0, 40).map((s) => s.email));
    expect(records[40]).toBeUndefined();
  });

  test('records and the address index stay in compact listpack encoding', async () => {
    const keys = await redis.client.keys('kilat:{s*}:*');
    const buckets = keys.filter((k) => /:(r|e):\d+$/.test(k));
    expect(buckets.length).toBeGreaterThan(0);
    for (const key of buckets) expect([key, await redis.client.object('ENCODING', key)]).toEqual([key, 'listpack']);
  });
});
