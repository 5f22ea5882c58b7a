import { TokenSigner } from '../../src/subscribers/tokens';
import { linkIn, postJson, SECRET_KEY, startKilat, waitUntil, type Kilat } from '../helpers/kilat';

/**
 * A confirmation click and a one-click unsubscribe record something the reader already did; a mail
 * client posts its one-click once and does not try again. While Redis is away (a failover, a
 * restart) the API holds such a request and records it when Redis is back, up to
 * REDIS_FAILOVER_WAIT_MS, and only then answers "try again shortly".
 */
const oneClick = (k: Kilat, token: string) =>
  fetch(`${k.baseUrl}/unsubscribe?token=${encodeURIComponent(token)}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });

async function confirmedReader(k: Kilat, email: string) {
  const subs = k.api.core.subscribers;
  const { id } = await subs.signup({ email, locale: 'id', topics: [] });
  await subs.confirm(id, (await subs.get(id))!.nonce);
  return { id, unsubscribe: new TokenSigner([SECRET_KEY]).sign({ purpose: 'unsubscribe', subscriberId: id }) };
}

describe('reader clicks while Redis is restarting', () => {
  test('a confirmation click and a one-click unsubscribe made during the outage are recorded once Redis is back', async () => {
    const k = await startKilat({ redisArgs: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    try {
      const pendingEmail = 'baru@contoh.co.id';
      expect((await postJson(`${k.baseUrl}/api/subscriptions`, { email: pendingEmail })).status).toBe(202);
      await k.smtp.waitFor(1);
      const confirmLink = linkIn(k.smtp.to(pendingEmail)[0]!.parsed.text, 'confirm');
      const leaving = await confirmedReader(k, 'pergi@contoh.co.id');

      await k.redis.crash();
      await waitUntil(async () => k.api.core.redis.status !== 'ready', 15_000, "the API's Redis connection to drop");
      const confirmed = fetch(confirmLink, { headers: { accept: 'text/html' } });
      const unsubscribed = oneClick(k, leaving.unsubscribe);
      // Both requests are held, retrying, while Redis is down.
      await waitUntil(async () => k.api.core.durable.waiting === 2, 10_000, 'both clicks waiting for Redis');
      await k.redis.restart();

      const [c, u] = await Promise.all([confirmed, unsubscribed]);
      expect(c.status).toBe(200);
      expect(u.status).toBe(200);
      const pending = (await k.api.core.subscribers.findByEmail(pendingEmail))!;
      expect(pending.status).toBe('confirmed');
      expect((await k.api.core.subscribers.get(leaving.id))!.status).toBe('unsubscribed');
    } finally {
      await k.stop();
    }
  });

  test('when Redis stays away past REDIS_FAILOVER_WAIT_MS the one-click is answered 503 with Retry-After, and changes nothing', async () => {
    const k = await startKilat({ workers: false, env: { REDIS_FAILOVER_WAIT_MS: '1000' }, redisArgs: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    try {
      const leaving = await confirmedReader(k, 'tetap@contoh.co.id');
      await k.redis.crash();
      await waitUntil(async () => k.api.core.redis.status !== 'ready', 15_000, "the API's Redis connection to drop");
      const started = Date.now();
      const u = await oneClick(k, leaving.unsubscribe);
      expect(u.status).toBe(503);
      expect(u.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      await k.redis.restart();
      await waitUntil(async () => k.api.core.redis.status === 'ready', 15_000, 'the API back on Redis');
      expect((await k.api.core.subscribers.get(leaving.id))!.status).toBe('confirmed');
    } finally {
      await k.stop();
    }
  });
});
