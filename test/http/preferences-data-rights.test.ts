import { postForm } from '../helpers/forms';
import { linkIn, postJson, startKilat, type Kilat } from '../helpers/kilat';
import { oneClick, publish, subscribeConfirmed, waitForAlert } from '../helpers/lifecycle';
import { createKeys } from '../../src/keys';
import { SubscriberStore } from '../../src/subscribers/subscriber-store';
import { AddressHasher } from '../../src/subscribers/address-hasher';
import { kilatCli } from '../helpers/cli';
import { createHash } from 'node:crypto';
import { waitUntil } from '../helpers/kilat';
import { waitForDrained } from '../helpers/queue-waits';

/** Every key with everything in it (hash fields and values, set and list members), as text. */
async function dumpRedis(k: Kilat): Promise<{ key: string; type: string; members: string[] }[]> {
  const out = [];
  for (const key of await k.redis.client.keys('*')) {
    const type = await k.redis.client.type(key);
    const r = k.redis.client;
    const members =
      type === 'hash' ? Object.entries(await r.hgetall(key)).flat()
      : type === 'set' ? await r.smembers(key)
      : type === 'zset' ? await r.zrange(key, '0', '-1')
      : type === 'list' ? await r.lrange(key, 0, -1)
      : type === 'string' ? [(await r.getBuffer(key))!.toString('latin1')]
      : [];
    out.push({ key, type, members });
  }
  return out;
}

describe('preferences page: language, topics, pause, export and delete', () => {
  let k: Kilat;
  let store: SubscriberStore;
  beforeAll(async () => {
    // A per-address sign-up limit, so its counter exists (and must go with the subscriber's data).
    k = await startKilat({ env: { CONFIRM_LIMIT_PER_ADDRESS: '10' } });
    store = new SubscriberStore({ redis: k.redis.client, keys: createKeys(k.config.keyPrefix) });
  });
  afterAll(async () => {
    await k.stop();
  });

  // As a browser sends it: after loading the preferences page, with its CSRF cookie and field.
  const form = (url: string, fields: Record<string, string | string[]>) => postForm(url, fields);
  /** Publishes and returns who received it. */
  async function recipientsOf(fields: Record<string, unknown> = {}) {
    const before = k.smtp.messages.length;
    await waitForAlert(k, await publish(k, fields));
    await waitForDrained(k);
    return k.smtp.messages.slice(before).flatMap((m) => m.to).sort();
  }

  test('pause takes a subscriber out of alerts but keeps the record; resume brings them back; language and topics change', async () => {
    await subscribeConfirmed(k, 'ani@contoh.co.id');
    await subscribeConfirmed(k, 'budi@contoh.co.id');
    expect(await recipientsOf()).toEqual(['ani@contoh.co.id', 'budi@contoh.co.id']);
    const mail = k.smtp.to('ani@contoh.co.id').at(-1)!;
    const prefs = linkIn(mail.parsed.text, 'preferences');

    const page = await (await fetch(prefs)).text();
    expect(page).toContain('<html lang="id">');
    expect(page).toContain('ani@contoh.co.id');
    expect(page).toContain('Status: aktif');
    expect(page).toContain('Jeda pemberitahuan');
    // looking changes nothing
    expect((await store.findByEmail('ani@contoh.co.id'))!.status).toBe('confirmed');

    const paused = await form(prefs, { action: 'pause' });
    expect(paused.status).toBe(200);
    const pausedPage = await paused.text();
    expect(pausedPage).toContain('Pemberitahuan dijeda');
    expect(pausedPage).toContain('Lanjutkan pemberitahuan');
    const ani = (await store.findByEmail('ani@contoh.co.id'))!;
    expect(ani).toMatchObject({ status: 'paused', email: 'ani@contoh.co.id', locale: 'id' });
    expect(await recipientsOf()).toEqual(['budi@contoh.co.id']);

    expect(await (await form(prefs, { action: 'resume' })).text()).toContain('Pemberitahuan dilanjutkan');
    expect(await recipientsOf()).toEqual(['ani@contoh.co.id', 'budi@contoh.co.id']);

    // English and sport only: the page answers in English, Indonesian alerts stop, English sport ones arrive
    const saved = await (await form(prefs, { locale: 'en', topics: ['olahraga'] })).text();
    expect(saved).toContain('<html lang="en">');
    expect(saved).toContain('Preferences saved.');
    expect(await recipientsOf()).toEqual(['budi@contoh.co.id']);
    expect(await recipientsOf({ locale: 'en', topics: ['politik'] })).toEqual([]);
    expect(await recipientsOf({ locale: 'en', topics: ['olahraga'] })).toEqual(['ani@contoh.co.id']);

    // an unknown action is a 400 page, not a 500, and changes nothing
    const bad = await form(prefs, { action: 'explode' });
    expect(bad.status).toBe(400);
    expect((await store.findByEmail('ani@contoh.co.id'))!.status).toBe('confirmed');
  });

  test('after "delete my data" nothing in Redis identifies the subscriber but the keyed suppression hash', async () => {
    await subscribeConfirmed(k, 'dedi@contoh.co.id');
    const dedi = (await store.findByEmail('dedi@contoh.co.id'))!;
    const prefs = k.api.core.links.preferences(dedi.id);
    // everything that names dedi's id or address somewhere: the digest choice, a digest sent today,
    // a later sign-up's pending change, the day's per-address sign-up counter
    expect((await form(prefs, { locale: 'id', frequency: 'digest' })).status).toBe(200);
    await waitForAlert(k, await publish(k, { title: 'Berita hari ini' }));
    await k.api.core.queues.digest.add('digest', {});
    await waitUntil(async () => k.smtp.to('dedi@contoh.co.id').some((m) => /Rangkuman/.test(m.parsed.subject ?? '')), 10_000, 'digest to dedi');
    const mails = k.smtp.to('dedi@contoh.co.id').length;
    expect((await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'dedi@contoh.co.id', locale: 'en' })).status).toBe(202);
    await waitUntil(async () => k.smtp.to('dedi@contoh.co.id').length > mails, 10_000, 'confirmation of the new choices');
    const shard = dedi.id % 16;
    const namesDedi = (d: { key: string; type: string; members: string[] }) => d.key.includes(`{s${shard}}`) && (d.type === 'set' ? d.members.includes(String(dedi.id)) : d.key.endsWith(':changes') && d.members.length > 0);
    expect((await dumpRedis(k)).filter(namesDedi).map((d) => d.key.replace(/^.*\}:/, '')).sort()).toEqual(['changes', 'digest', expect.stringMatching(/^digest-sent:/)]);

    const done = await form(prefs, { action: 'delete', confirm: 'yes' });
    expect(done.status).toBe(200);
    const dump = await dumpRedis(k);
    const text = JSON.stringify(dump);
    expect(text).not.toContain('dedi@contoh');
    // an unkeyed hash of an address is the address to anyone who guesses it
    const sha = createHash('sha256').update('dedi@contoh.co.id').digest('hex');
    expect(text).not.toContain(sha.slice(0, 32));
    expect(dump.filter(namesDedi).map((d) => d.key)).toEqual([]);
    const hasher = new AddressHasher([k.config.secretKey]);
    expect(text).not.toContain(hasher.counterSubject('dedi@contoh.co.id'));
    // what stays: the keyed hash in the suppression set
    expect(await store.suppressionOf('dedi@contoh.co.id', hasher.all('dedi@contoh.co.id'))).toMatch(/^deleted:\d+$/);
  });

  test('export downloads the JSON; delete asks first, then leaves only a keyed hash; old links stop working', async () => {
    await subscribeConfirmed(k, 'cici@contoh.co.id', { topics: ['ekonomi'] });
    const recipients = await recipientsOf({ topics: ['ekonomi'] });
    expect(recipients).toContain('cici@contoh.co.id');
    const mail = k.smtp.to('cici@contoh.co.id').at(-1)!;
    const prefs = linkIn(mail.parsed.text, 'preferences');
    const unsubscribe = linkIn(mail.parsed.text, 'unsubscribe');
    const cici = (await store.findByEmail('cici@contoh.co.id'))!;

    const exported = await form(prefs, { action: 'export' });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toMatch(/^application\/json/);
    expect(exported.headers.get('content-disposition')).toMatch(/^attachment; filename="?kilat-subscription\.json"?$/);
    expect(exported.headers.get('cache-control')).toBe('no-store');
    const data = (await exported.json()) as any;
    expect(data).toEqual({
      email: 'cici@contoh.co.id',
      status: 'confirmed',
      locale: 'id',
      topics: ['ekonomi'],
      subscribedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      confirmedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      softBounces: 0,
      // issue 12: where the sign-up came from (this one: the JSON API, no embedding page)
      signupSource: { kind: 'api', source: '', locale: 'id', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
      exportedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    const ask = await form(prefs, { action: 'delete' });
    expect(ask.status).toBe(200);
    expect(await ask.text()).toContain('Ya, hapus data saya');
    expect(await store.get(cici.id)).toBeDefined();

    const done = await form(prefs, { action: 'delete', confirm: 'yes' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Data Anda telah dihapus');
    expect(await store.get(cici.id)).toBeUndefined();
    expect(await store.findByEmail('cici@contoh.co.id')).toBeUndefined();
    const hasher = new AddressHasher([k.config.secretKey]);
    expect(await store.suppressionOf('cici@contoh.co.id', hasher.all('cici@contoh.co.id'))).toMatch(/^deleted:\d+$/);
    // the address is nowhere in Redis any more: not in a key, not in a value
    for (const key of await k.redis.client.keys('*')) {
      expect(key).not.toContain('cici');
      const type = await k.redis.client.type(key);
      const value =
        type === 'hash' ? JSON.stringify(await k.redis.client.hgetall(key)) : type === 'string' ? await k.redis.client.get(key) : type === 'zset' ? JSON.stringify(await k.redis.client.zrange(key, '0', '-1')) : '';
      expect([key, value ?? '']).not.toEqual([key, expect.stringContaining('cici@contoh')]);
    }
    expect(await recipientsOf({ topics: ['ekonomi'] })).not.toContain('cici@contoh.co.id');

    // old links say the subscription is gone, and change nothing
    const gone = await fetch(prefs);
    expect(gone.status).toBe(400);
    expect(await gone.text()).toContain('Langganan tidak ditemukan');
    const unsubscribed = await oneClick(unsubscribe);
    expect(unsubscribed.status).toBe(400);
    expect(await unsubscribed.text()).toContain('Langganan tidak ditemukan');

    // signing up again is a fresh double opt-in; confirming lifts the suppression
    const before = k.smtp.messages.length;
    expect((await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'cici@contoh.co.id' })).status).toBe(202);
    await k.smtp.waitFor(before + 1);
    expect((await store.findByEmail('cici@contoh.co.id'))!.status).toBe('pending');
    expect((await fetch(linkIn(k.smtp.messages[before]!.parsed.text, 'confirm'))).status).toBe(200);
    expect(await store.suppressionOf('cici@contoh.co.id', hasher.all('cici@contoh.co.id'))).toBeUndefined();
    expect(await recipientsOf()).toContain('cici@contoh.co.id');
  });

  test('operator command: export and delete by address', async () => {
    await subscribeConfirmed(k, 'dedi@contoh.co.id', { locale: 'en' });
    const subscriber = (...argv: string[]) => kilatCli(k.env, 'subscribers', ...argv);
    const exported = await subscriber('export', 'DEDI@contoh.co.id');
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ email: 'dedi@contoh.co.id', status: 'confirmed', locale: 'en' });
    const deleted = await subscriber('delete', 'dedi@contoh.co.id');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain('deleted dedi@contoh.co.id');
    expect(await store.findByEmail('dedi@contoh.co.id')).toBeUndefined();
    const gone = await subscriber('export', 'dedi@contoh.co.id');
    expect(gone.code).toBe(4);
    expect(gone.stderr).toBe('kilat: no subscriber dedi@contoh.co.id (the address is in the suppression set: deleted)\n');
    expect((await subscriber('delete', 'dedi@contoh.co.id')).code).toBe(4);
    expect((await subscriber('purge', 'dedi@contoh.co.id')).code).toBe(2);
    expect((await subscriber('export', 'not-an-address')).code).toBe(2);
  });
});
