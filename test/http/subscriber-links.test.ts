import { SECRET_KEY, startKilat, type Kilat } from '../helpers/kilat';
import { TokenSigner, type TokenClaims } from '../../src/subscribers/tokens';
import pino from 'pino';
import { alertStatus, oneClick, publish, waitForAlert } from '../helpers/lifecycle';
import { runFanout } from '../../src/alerts/fan-out';
import { AlertStore } from '../../src/alerts/alert-store';
import { startWorkers } from '../../workers';
import { createKeys } from '../../src/keys';
import { SubscriberStore } from '../../src/subscribers/subscriber-store';

const PREVIOUS_KEY = 'previous-secret-key-0123456789abcdef012345';
const UNKNOWN_KEY = 'some-other-secret-key-0123456789abcdef0123';

describe('confirm, unsubscribe and preferences links: every failure changes nothing', () => {
  let k: Kilat;
  const current = new TokenSigner([SECRET_KEY]);
  const previous = new TokenSigner([PREVIOUS_KEY]);
  const unknown = new TokenSigner([UNKNOWN_KEY]);

  beforeAll(async () => {
    k = await startKilat({ workers: false, env: { SECRET_KEY_PREVIOUS: `${'z'.repeat(40)},${PREVIOUS_KEY}` } });
  });
  afterAll(async () => {
    await k.stop();
  });

  let subscribers: SubscriberStore;
  const store = () => (subscribers ??= new SubscriberStore({ redis: k.redis.client, keys: createKeys(k.config.keyPrefix) }));
  async function pending(email: string) {
    const { id } = await store().signup({ email, locale: 'en', topics: [] });
    return (await store().get(id))!;
  }
  async function confirmed(email: string) {
    const s = await pending(email);
    await store().confirm(s.id, s.nonce);
    return (await store().get(s.id))!;
  }
  const url = (route: string, signer: TokenSigner, claims: TokenClaims) => `${k.baseUrl}/${route}?token=${signer.sign(claims)}`;
  const inFanout = async (id: number) => (await store().activeIds(id % 16, 'en', 0, '+inf', 1000)).includes(id);

  test('an expired confirm link: a page saying so, the subscriber stays pending', async () => {
    const s = await pending('late@example.com');
    const expired = url('confirm', current, { purpose: 'confirm', subscriberId: s.id, nonce: s.nonce, expiresAt: Math.floor(Date.now() / 1000) - 1 });
    const res = await fetch(expired, { headers: { 'accept-language': 'en' } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('This link has expired');
    // in Indonesian (the default language) for a reader who asks for nothing else
    expect(await (await fetch(expired)).text()).toContain('Tautan sudah kedaluwarsa');
    expect((await store().get(s.id))!.status).toBe('pending');
    // the same link asked for JSON answers with the code
    const json = await fetch(url('confirm', current, { purpose: 'confirm', subscriberId: s.id, nonce: s.nonce, expiresAt: 1 }), { headers: { accept: 'application/json', 'accept-language': 'en' } });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ error: { code: 'token_expired', message: expect.stringContaining('limited time') } });
  });

  test('tampered, wrong-purpose, unknown-key and superseded links: clear pages, nothing changes', async () => {
    const s = await pending('careful@example.com');
    const good = current.sign({ purpose: 'confirm', subscriberId: s.id, nonce: s.nonce, expiresAt: Math.floor(Date.now() / 1000) + 3600 });
    const tampered = good.replace(/^c\.[0-9a-z]+\./, `c.${(s.id + 16).toString(36)}.`);
    for (const [link, status, text] of [
      [`${k.baseUrl}/confirm?token=${tampered}`, 400, 'This link does not work'],
      [`${k.baseUrl}/confirm?token=`, 400, 'This link does not work'],
      [`${k.baseUrl}/confirm`, 400, 'This link does not work'],
      [url('confirm', current, { purpose: 'unsubscribe', subscriberId: s.id }), 400, 'This link does not work'],
      [url('confirm', unknown, { purpose: 'confirm', subscriberId: s.id, nonce: s.nonce }), 400, 'This link does not work'],
      [url('confirm', current, { purpose: 'confirm', subscriberId: s.id, nonce: 'older-nonce' }), 400, 'This link has been replaced'],
    ] as const) {
      const res = await fetch(link, { headers: { 'accept-language': 'en-GB,en;q=0.8' } });
      expect([link, res.status]).toEqual([link, status]);
      expect(await res.text()).toContain(text);
    }
    expect((await store().get(s.id))!.status).toBe('pending');
    // the genuine link still works afterwards
    const ok = await fetch(`${k.baseUrl}/confirm?token=${good}`);
    expect(ok.status).toBe(200);
    expect((await store().get(s.id))!.status).toBe('confirmed');

    // a preferences or confirm token cannot unsubscribe, nor can a tampered one; GET never does
    const c = await confirmed('stays@example.com');
    for (const link of [
      url('unsubscribe', current, { purpose: 'preferences', subscriberId: c.id }),
      url('unsubscribe', current, { purpose: 'confirm', subscriberId: c.id, nonce: c.nonce }),
      url('unsubscribe', unknown, { purpose: 'unsubscribe', subscriberId: c.id }),
    ]) {
      const res = await oneClick(link);
      expect(res.status).toBe(400);
    }
    const preferencesWithUnsubscribeToken = await fetch(url('preferences', current, { purpose: 'unsubscribe', subscriberId: c.id }), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=pause',
    });
    expect(preferencesWithUnsubscribeToken.status).toBe(400);
    expect((await store().get(c.id))!.status).toBe('confirmed');
    expect(await inFanout(c.id)).toBe(true);
  });

  test('RFC 8058: GET shows a button and changes nothing; one-click POST unsubscribes at once, 200, no cookie', async () => {
    const s = await confirmed('oneclick@example.com');
    const link = url('unsubscribe', current, { purpose: 'unsubscribe', subscriberId: s.id });
    for (let i = 0; i < 3; i++) {
      const ask = await fetch(link);
      expect(ask.status).toBe(200);
      const page = await ask.text();
      expect(page).toContain('Yes, unsubscribe');
      expect(page).toMatch(/<form method="post" action="\/unsubscribe\?token=/);
    }
    expect((await store().get(s.id))!.status).toBe('confirmed');
    expect(await inFanout(s.id)).toBe(true);

    const done = await oneClick(link);
    expect(done.status).toBe(200);
    expect(done.headers.get('set-cookie')).toBeNull();
    expect(await done.text()).toContain('You are unsubscribed');
    expect((await store().get(s.id))!.status).toBe('unsubscribed');
    expect(await inFanout(s.id)).toBe(false);
    // a second one-click (providers retry) is still a 200
    expect((await oneClick(link)).status).toBe(200);
    // a POST with a multipart body, as some providers send it, works too
    const s2 = await confirmed('multipart@example.com');
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    const mp = await fetch(url('unsubscribe', current, { purpose: 'unsubscribe', subscriberId: s2.id }), { method: 'POST', body: form });
    expect(mp.status).toBe(200);
    expect((await store().get(s2.id))!.status).toBe('unsubscribed');
  });

  test('key rotation: a link signed with a key in SECRET_KEY_PREVIOUS still unsubscribes', async () => {
    const s = await confirmed('rotated@example.com');
    const res = await oneClick(url('unsubscribe', previous, { purpose: 'unsubscribe', subscriberId: s.id }));
    expect(res.status).toBe(200);
    expect((await store().get(s.id))!.status).toBe('unsubscribed');
  });

  test('one-click takes effect for batches already queued: the fan-out counted them, the batch does not mail them', async () => {
    const stays = await confirmed('tetap@example.com');
    const leaves = await confirmed('pergi@example.com');
    const alertId = await publish(k, { locale: 'en', title: 'Breaking' });
    // The fan-out runs now (no workers yet): both are in the batches it queues.
    const alerts = new AlertStore({ redis: k.redis.client, keys: createKeys(k.config.keyPrefix) });
    const logger = pino({ level: 'silent' });
    await runFanout({ alerts, subscribers: store(), queues: k.api.core.queues, batchSize: 500, logger }, alertId);
    const planned = (await alertStatus(k, alertId)).total;
    expect(planned).toBeGreaterThanOrEqual(2);
    expect((await oneClick(url('unsubscribe', current, { purpose: 'unsubscribe', subscriberId: leaves.id }))).status).toBe(200);
    const before = k.smtp.messages.length;
    const workers = await startWorkers(k.config, logger);
    try {
      const done = await waitForAlert(k, alertId);
      const to = k.smtp.messages.slice(before).flatMap((m) => m.to);
      expect(to).toContain('tetap@example.com');
      expect(to).not.toContain('pergi@example.com');
      expect(done.sent).toBe(to.length);
      expect((await store().get(stays.id))!.status).toBe('confirmed');
    } finally {
      await workers.close();
    }
  });
});
