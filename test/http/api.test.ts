import { storedAddresses } from '../helpers/stored-subscribers';
import { bearer, postJson, startKilat, waitUntil, type Kilat } from '../helpers/kilat';
import { useKilat } from '../helpers/use-kilat';
import { freePort } from '../../src/dev/embedded-redis';
import { formSession, postForm } from '../helpers/forms';

async function subscriberCount(k: Kilat): Promise<number> {
  return (await storedAddresses(k.api.core.subscribers)).length;
}

describe('JSON API', () => {
  const k = useKilat({ workers: false });

  test('a new and a known address get the same answer, and the known one gets no second record', async () => {
    const first = await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'Sari@Contoh.co.id', locale: 'en', topics: ['dunia'] });
    const again = await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'sari@contoh.co.id ' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(first.status);
    expect(again.body).toEqual(first.body);
    expect(await subscriberCount(k)).toBe(1);
  });

  test.each([
    [{ email: 'not-an-address' }, 'email'],
    [{ email: 'a@b.co', locale: 'fr' }, 'locale'],
    [{ email: 'a@b.co', topics: ['gosip'] }, 'topics'],
    [{ email: 'a@b.co', topics: 'dunia' }, 'topics'],
    [{ email: 'a@b.co', admin: true }, 'admin'],
    [{}, 'email'],
    [[], 'body'],
  ])('sign-up %p is refused with 400 naming %s, and nothing is stored', async (body, field) => {
    const before = await subscriberCount(k);
    const res = await postJson(`${k.baseUrl}/api/subscriptions`, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toContain(field === 'body' ? '' : field);
    expect(await subscriberCount(k)).toBe(before);
  });

  test('malformed JSON is a 400, a form body a 415, an oversized body a 413', async () => {
    const bad = await postJson(`${k.baseUrl}/api/subscriptions`, '{"email": ');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');
    const form = await fetch(`${k.baseUrl}/api/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=a@b.co' });
    expect(form.status).toBe(415);
    expect(((await form.json()) as any).error.code).toBe('unsupported_media_type');
    const huge = await postJson(`${k.baseUrl}/api/articles`, { title: 'x', body: 'y'.repeat(400_000) }, bearer);
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
  });

  test('publishing needs the publisher token', async () => {
    const none = await postJson(`${k.baseUrl}/api/articles`, { title: 'Judul', body: 'Isi.' });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    const wrong = await postJson(`${k.baseUrl}/api/articles`, { title: 'Judul', body: 'Isi.' }, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    const status = await fetch(`${k.baseUrl}/api/alerts/1`);
    expect(status.status).toBe(401);
  });

  test.each([
    [{ body: 'Isi.' }, 'title'],
    [{ title: 'Judul' }, 'body'],
    [{ title: 'Judul', body: 'Isi.', url: 'javascript:alert(1)' }, 'url'],
    [{ title: 'Judul', body: 'Isi.', imageUrl: 'file:///etc/passwd' }, 'imageUrl'],
    [{ title: 'Judul\r\nBcc: x@y.z', body: 'Isi.' }, 'title'],
    [{ title: 'Judul', body: 'Isi.', locale: 'de' }, 'locale'],
    [{ title: 'Judul', body: 'Isi.', topics: ['unknown'] }, 'topics'],
    [{ title: 'Judul', body: 'Isi.', publishedAt: 'yesterday' }, 'publishedAt'],
    [{ title: 'Judul', body: 'Isi.', breakingNews: true }, 'breakingNews'],
  ])('article %p is refused with 400 naming %s', async (article, field) => {
    const res = await postJson(`${k.baseUrl}/api/articles`, article, bearer);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toContain(field);
  });

  test('a publish answers 202 with the alert id; the same id or url again answers 200 naming it', async () => {
    const a = await postJson(`${k.baseUrl}/api/articles`, { id: 'art-1', title: 'Judul', body: 'Isi.' }, bearer);
    expect(a.status).toBe(202);
    expect(a.body.alertId).toMatch(/^\d+$/);
    const again = await postJson(`${k.baseUrl}/api/articles`, { id: 'art-1', title: 'Judul diubah', body: 'Isi lain.' }, bearer);
    expect(again.status).toBe(200);
    expect(again.body.alertId).toBe(a.body.alertId);
    const byUrl = await postJson(`${k.baseUrl}/api/articles`, { title: 'U', body: 'Isi.', url: 'https://b.example/x' }, bearer);
    const byUrlAgain = await postJson(`${k.baseUrl}/api/articles`, { title: 'U2', body: 'Isi 2.', url: 'https://b.example/x' }, bearer);
    expect(byUrl.status).toBe(202);
    expect(byUrlAgain.status).toBe(200);
    expect(byUrlAgain.body.alertId).toBe(byUrl.body.alertId);
    const status = await fetch(`${k.baseUrl}/api/alerts/${a.body.alertId}`, { headers: bearer });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ id: a.body.alertId, state: 'queued', total: 0, sent: 0, failed: 0, skipped: 0 });
  });

  test('an unknown alert is a 404 with a JSON error', async () => {
    for (const id of ['999999', 'abc', '0']) {
      const res = await fetch(`${k.baseUrl}/api/alerts/${id}`, { headers: bearer });
      expect(res.status).toBe(404);
      expect(((await res.json()) as any).error.code).toBe('alert_not_found');
    }
  });
});

/** A sign-up and a named key's request while Redis cannot answer: 503 with Retry-After, never a 500 or a 401. */
async function expectTryAgainShortly(k: Kilat, namedKey: string) {
  const signup = await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'a@b.co' });
  expect(signup.status).toBe(503);
  expect(signup.body.error.code).toBe('service_unavailable');
  expect(signup.headers.get('retry-after')).toBe('5');
  // a named key cannot be checked without Redis: 503, not a 401 that would tell the editor their key is bad
  const stats = await fetch(`${k.baseUrl}/api/stats/signups`, { headers: { authorization: `Bearer ${namedKey}` } });
  expect(stats.status).toBe(503);
}

describe('health while Redis is down', () => {
  test('readyz and the API answer 503 quickly, healthz stays 200', async () => {
    const k = await startKilat({ workers: false });
    try {
      expect((await fetch(`${k.baseUrl}/readyz`)).status).toBe(200);
      const named = (await postJson(`${k.baseUrl}/api/keys`, { name: 'Desk', scopes: ['read'] }, bearer)).body.secret as string;
      // Redis is gone once its process has exited and the API's connection has seen it close.
      await k.redis.crash();
      await waitUntil(async () => k.api.core.redis.status !== 'ready', 15_000, "the API's Redis connection to drop");
      const started = Date.now();
      const ready = await fetch(`${k.baseUrl}/readyz`);
      expect(ready.status).toBe(503);
      await expectTryAgainShortly(k, named);
      expect(Date.now() - started).toBeLessThan(3000);
      expect((await fetch(`${k.baseUrl}/healthz`)).status).toBe(200);
    } finally {
      await k.stop();
    }
  });

  test('a Redis that stops taking writes while the connection still looks ready gets 503, not 500', async () => {
    // What a client sees when its master is demoted under it (a failover it has not followed yet),
    // or in the moment between the socket ending and ioredis noticing: the connection is "ready"
    // but every command fails. The reader gets "try again shortly", not "something went wrong".
    const k = await startKilat({ workers: false });
    const deadMaster = await freePort();
    try {
      const named = (await postJson(`${k.baseUrl}/api/keys`, { name: 'Desk', scopes: ['read'] }, bearer)).body.secret as string;
      const session = await formSession(`${k.baseUrl}/`);
      await k.redis.client.config('SET', 'replica-serve-stale-data', 'no');
      await k.redis.client.replicaof('127.0.0.1', deadMaster);
      expect(k.api.core.redis.status).toBe('ready');
      await expectTryAgainShortly(k, named);
      const form = await postForm(`${k.baseUrl}/subscribe`, { email: 'b@contoh.co.id' }, { session, headers: { accept: 'text/html' } });
      expect(form.status).toBe(503);
      expect(await form.text()).toMatch(/<h1>/);
    } finally {
      await k.redis.client.replicaof('NO', 'ONE');
      await k.stop();
    }
  });
});
