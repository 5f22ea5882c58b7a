import { type Kilat } from '../helpers/kilat';
import { useKilat } from '../helpers/use-kilat';

describe('a Redis error on a request path is an error answer, never an unhandled rejection', () => {
  const k = useKilat({ workers: false });

  test('GET /preferences when reading the digest choice fails: a readable 500 page, and the API keeps answering', async () => {
    const s = await k.api.core.subscribers.signup({ email: 'rusak@contoh.co.id', locale: 'id', topics: [] });
    // The digest set of the subscriber's shard holds the wrong type: SISMEMBER fails with WRONGTYPE.
    await k.redis.client.set(k.api.core.keys.digestSubscribers(k.api.core.keys.shardOfId(s.id)), 'not a set');
    const res = await fetch(k.api.core.links.preferences(s.id), { headers: { accept: 'text/html' }, signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('<!doctype html>');
    expect((await fetch(`${k.baseUrl}/healthz`)).status).toBe(200);
  });
});
