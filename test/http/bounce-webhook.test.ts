import fs from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { postJson, startKilat, type Kilat } from '../helpers/kilat';
import { createKeys } from '../../src/keys';
import { SubscriberStore } from '../../src/subscribers/subscriber-store';
import { AddressHasher } from '../../src/subscribers/address-hasher';
import { MessageTags } from '../../src/subscribers/message-tags';

const SECRET = 'bounce-webhook-secret-0123456789';
const sample = (name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'dsn', name));

describe('POST /api/webhooks/bounces', () => {
  let k: Kilat;
  let store: SubscriberStore;
  let url: string;
  const auth = { authorization: `Bearer ${SECRET}` };

  beforeAll(async () => {
    k = await startKilat({ workers: false, env: { BOUNCE_WEBHOOK_SECRET: SECRET, SOFT_BOUNCE_LIMIT: '3' } });
    store = new SubscriberStore({ redis: k.redis.client, keys: createKeys(k.config.keyPrefix) });
    url = `${k.baseUrl}/api/webhooks/bounces`;
  });
  afterAll(async () => {
    await k.stop();
  });

  async function confirmed(email: string) {
    const { id } = await store.signup({ email, locale: 'id', topics: [] });
    await store.confirm(id, (await store.get(id))!.nonce);
    return id;
  }
  const post = (body: Buffer | string, type: string, headers: Record<string, string> = auth) =>
    fetch(url, { method: 'POST', headers: { 'content-type': type, ...headers }, body: new Uint8Array(Buffer.from(body)) });
  /** A fixture as it comes back for a message Kilat sent subscriber `id`: its returned Message-ID is that copy's tag. */
  const about = (raw: Buffer | string, id: number) =>
    raw.toString().replace(/<[0-9a-f]{20,}@kilat\.example>/g, `<${k.api.core.links.messageTag(id, 'a1')}@kilat.example>`);

  test('without the shared secret: 401 and nothing changes', async () => {
    const id = await confirmed('aman@contoh.co.id');
    const event = { email: 'aman@contoh.co.id', type: 'hard' };
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-secret-0123456789abc' }, { authorization: SECRET }]) {
      const res = await postJson(url, event, headers);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
    const raw = await post(sample('postfix-user-unknown.eml'), 'message/rfc822', {});
    expect(raw.status).toBe(401);
    expect((await store.get(id))!.status).toBe('confirmed');
  });

  test('JSON events: hard bounce and complaint suppress, soft bounces count up to the limit', async () => {
    const hard = await confirmed('keras@contoh.co.id');
    const spam = await confirmed('aduan@contoh.co.id');
    const soft = await confirmed('lunak@contoh.co.id');
    let res = await postJson(url, { email: ' Keras@Contoh.co.id ', type: 'hard' }, auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: 1, results: [{ email: 'k***s@c***.co.id', type: 'hard', outcome: 'suppressed' }] });
    expect((await store.get(hard))!.status).toBe('bounced');

    res = await postJson(url, { events: [{ email: 'aduan@contoh.co.id', type: 'complaint' }, { email: 'lunak@contoh.co.id', type: 'soft' }] }, auth);
    expect(res.body.results.map((r: any) => r.outcome)).toEqual(['suppressed', 'counted']);
    expect((await store.get(spam))!.status).toBe('complained');
    res = await postJson(url, [{ email: 'lunak@contoh.co.id', type: 'soft' }], auth);
    expect(res.body.results[0].outcome).toBe('counted');
    expect((await store.get(soft))!.status).toBe('confirmed');
    res = await postJson(url, { email: 'lunak@contoh.co.id', type: 'soft' }, auth);
    expect(res.body.results[0].outcome).toBe('suppressed');
    expect((await store.get(soft))!.status).toBe('bounced');
    for (const id of [hard, spam, soft]) expect(await store.activeIds(id % 16, 'id', 0, '+inf', 1000)).not.toContain(id);
  });

  test('a raw DSN as message/rfc822 and as multipart/report; an ARF complaint; each about a message Kilat sent', async () => {
    const gone = await confirmed('gone.user@contoh.co.id');
    let res = await post(about(sample('postfix-user-unknown.eml'), gone), 'message/rfc822');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: 1, results: [{ email: 'g***r@c***.co.id', type: 'hard', status: '5.1.1', outcome: 'suppressed' }] });
    expect((await store.get(gone))!.status).toBe('bounced');

    // the same kind of report posted as its MIME body with the multipart/report type
    const trap = await confirmed('spam.trap@contoh.net.id');
    const full = about(sample('sendmail-two-recipients.eml'), trap);
    const cut = full.indexOf('\r\n\r\n');
    const contentType = /Content-Type: (multipart\/report;[^]*?)\r\n(?! |\t)/.exec(full.slice(0, cut))![1]!.replace(/\r\n\s+/g, ' ');
    res = await post(full.slice(cut + 4), contentType);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).results).toEqual([{ email: 's***p@c***.net.id', type: 'hard', status: '5.7.1', outcome: 'suppressed' }]);
    expect((await store.get(trap))!.status).toBe('bounced');

    const complainer = await confirmed('tidak.suka@yahoo.co.id');
    res = await post(about(sample('yahoo-arf-complaint.eml'), complainer), 'message/rfc822');
    expect(((await res.json()) as any).results[0]).toMatchObject({ type: 'complaint', outcome: 'suppressed' });
    expect((await store.get(complainer))!.status).toBe('complained');

    // a complaint whose recipient the feedback loop redacted: the tag alone names the subscriber
    const redacted = await confirmed('rahasia@yahoo.co.id');
    res = await post(about(sample('yahoo-arf-complaint.eml'), redacted).replace(/^To: Tidak Suka <tidak\.suka@yahoo\.co\.id>/m, 'To: [redacted]'), 'message/rfc822');
    expect((await store.get(redacted))!.status).toBe('complained');

    // a delayed delivery is a soft bounce only
    const slow = await confirmed('lambat@hotmail.com');
    res = await post(about(sample('exchange-delayed.eml'), slow), 'message/rfc822');
    expect(((await res.json()) as any).results[0]).toMatchObject({ type: 'soft', status: '4.4.7', outcome: 'counted' });
    expect((await store.get(slow))!.status).toBe('confirmed');
  });

  test('forged reports change nothing: no tag, a tag for someone else, a tag signed with another key, an unknown address', async () => {
    const victim = await confirmed('korban@contoh.co.id');
    const other = await confirmed('lain@contoh.co.id');
    const forge = (tagText: string | undefined) =>
      sample('postfix-user-unknown.eml')
        .toString()
        .replace(/gone\.user@contoh\.co\.id/g, 'korban@contoh.co.id')
        .replace(/<[0-9a-f]{20,}@kilat\.example>/g, tagText ? `<${tagText}@kilat.example>` : '<3c628ac2a81a0fe2000b4b94@kilat.example>');
    const metricsBefore = Number((await k.redis.client.hget(k.api.core.keys.metrics(), 'bounces_unmatched')) ?? 0);
    const forgedWithOtherKey = new MessageTags(['another-secret-key-that-is-long-enough-000']).sign(victim, 'a1');
    for (const tagText of [undefined, k.api.core.links.messageTag(other, 'a1'), forgedWithOtherKey, k.api.core.links.messageTag(victim, 'a1').replace(/.$/, (c) => (c === '0' ? '1' : '0'))]) {
      const res = await post(forge(tagText), 'message/rfc822');
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).results).toEqual([{ email: 'k***n@c***.co.id', type: 'hard', status: '5.1.1', outcome: 'unmatched' }]);
    }
    expect((await store.get(victim))!.status).toBe('confirmed');
    expect((await store.get(other))!.status).toBe('confirmed');
    // a report for an address Kilat does not know is ignored too (no suppression entry made for it)
    const res = await post(sample('gmail-over-quota.eml'), 'message/rfc822');
    expect(((await res.json()) as any).results[0]).toMatchObject({ type: 'hard', outcome: 'unmatched' });
    const hasher = new AddressHasher([k.config.secretKey]);
    expect(await store.suppressionOf('penuh.sekali@gmail.com', hasher.all('penuh.sekali@gmail.com'))).toBeUndefined();
    // counted, for the operator's metrics
    expect(Number(await k.redis.client.hget(k.api.core.keys.metrics(), 'bounces_unmatched'))).toBe(metricsBefore + 5);
    const metrics = await (await fetch(`${k.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^kilat_bounce_reports_unmatched_total ${metricsBefore + 5}$`, 'm'));
  });

  test('JSON events from the mail provider stay trusted behind the secret: an unknown address is suppressed by hash', async () => {
    const res = await postJson(url, { email: 'penuh.sekali@gmail.com', type: 'hard' }, auth);
    expect(res.body.results[0]).toMatchObject({ type: 'hard', outcome: 'suppressed_unknown' });
    const hasher = new AddressHasher([k.config.secretKey]);
    expect(await store.suppressionOf('penuh.sekali@gmail.com', hasher.all('penuh.sekali@gmail.com'))).toMatch(/^bounced:\d+$/);
    const dump = JSON.stringify(await k.redis.client.hgetall(createKeys(k.config.keyPrefix).suppressed(store.shardOfEmail('penuh.sekali@gmail.com'))));
    expect(dump).not.toContain('penuh');
  });

  test('bad input: 4xx with a code, never a 500', async () => {
    const cases: [Promise<Response | { status: number; body: any }>, number, string][] = [
      [postJson(url, { email: 'x@contoh.co.id', type: 'bounce' }, auth), 400, 'validation_failed'],
      [postJson(url, { email: 'not an address', type: 'hard' }, auth), 400, 'validation_failed'],
      [postJson(url, '{"email":', auth), 400, 'invalid_json'],
      [postJson(url, { email: 'x@contoh.co.id', type: 'hard', extra: 1 }, auth), 400, 'validation_failed'],
      [post('From: a@b.example\r\nSubject: hello\r\n\r\nJust a note.\r\n', 'message/rfc822'), 422, 'not_a_bounce_report'],
      [post('hello', 'text/plain'), 415, 'unsupported_media_type'],
      // a small gzip body that inflates past the 2 MB limit: refused on the decoded size, never read whole
      [fetch(url, { method: 'POST', headers: { 'content-type': 'message/rfc822', 'content-encoding': 'gzip', ...auth }, body: new Uint8Array(gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x41))) }), 413, 'payload_too_large'],
    ];
    for (const [p, status, code] of cases) {
      const r = await p;
      const body = 'body' in r && !(r instanceof Response) ? r.body : await (r as Response).json();
      expect([status, code]).toEqual([r.status, body.error.code]);
    }
  });
});

describe('POST /api/webhooks/bounces without BOUNCE_WEBHOOK_SECRET', () => {
  test('is off: 404 naming the setting', async () => {
    const k = await startKilat({ workers: false });
    try {
      const res = await postJson(`${k.baseUrl}/api/webhooks/bounces`, { email: 'a@contoh.co.id', type: 'hard' });
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({ code: 'webhook_disabled', message: expect.stringContaining('BOUNCE_WEBHOOK_SECRET') });
    } finally {
      await k.stop();
    }
  });
});
