import { Redis } from 'ioredis';
import { linkIn, postJson, startKilat, waitUntil, type Kilat } from '../helpers/kilat';
import { useKilat } from '../helpers/use-kilat';

/**
 * Anyone may type anyone's address into the sign-up form. For an address that already has a
 * subscription, that must change nothing until its owner confirms, and the answer (and the work
 * behind it) must be the same as for an address never seen, so it tells nothing.
 */
describe('sign-up for an address that already has a subscription', () => {
  const k = useKilat();
  const store = () => k.api.core.subscribers;
  const signup = (email: string, locale: 'id' | 'en', topics: string[]) => postJson(`${k.baseUrl}/api/subscriptions`, { email, locale, topics });
  const confirmedReader = async (email: string) => {
    const s = await store().signup({ email, locale: 'id', topics: ['politik'] });
    await store().confirm(s.id, (await store().get(s.id))!.nonce);
    return s.id;
  };
  /** Waits until the confirmation worker has handled every job so far, so "no email" is a fact, not a guess. */
  const confirmationsSettled = () =>
    waitUntil(async () => {
      const c = await k.api.core.queues.confirmations.getJobCounts('waiting', 'active', 'delayed');
      return (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) === 0;
    }, 15_000, 'confirmation jobs handled');

  test('a confirmed subscription keeps its language, topics and confirmation; the owner gets a link that applies the new choices', async () => {
    const id = await confirmedReader('tetap@contoh.co.id');
    const res = await signup('tetap@contoh.co.id', 'en', ['olahraga']);
    expect(res).toMatchObject({ status: 202, body: { status: 'pending' } });
    const mail = await waitUntil(async () => k.smtp.to('tetap@contoh.co.id')[0], 15_000, 'confirmation of the new choices');
    expect(mail.parsed.subject).toMatch(/^Confirm your/);
    const before = (await store().get(id))!;
    expect(before).toMatchObject({ status: 'confirmed', locale: 'id', topics: ['politik'] });
    expect(await store().activeIds(store().shardOfEmail('tetap@contoh.co.id'), 'id', 0, '+inf', 10)).toContain(id);
    // a confirmation email is a message of its own (its own Message-ID: receivers drop a repeated one)
    expect(mail.parsed.messageId).toMatch(/^<k1\.[0-9a-z]+\.c[0-9a-z]+\.[0-9a-f]{16}@kilat\.example>$/);
    // the owner clicks: now, and only now, the new choices apply
    expect((await fetch(linkIn(mail.parsed.text, 'confirm'))).status).toBe(200);
    expect(await store().get(id)).toMatchObject({ status: 'confirmed', locale: 'en', topics: ['olahraga'], confirmedAt: before.confirmedAt });
  });

  test('a paused subscription stays paused with its choices until its owner confirms', async () => {
    const id = await confirmedReader('istirahat@contoh.co.id');
    await store().setStatus(id, 'paused');
    await signup('istirahat@contoh.co.id', 'id', ['dunia']);
    const mail = await waitUntil(async () => k.smtp.to('istirahat@contoh.co.id')[0], 15_000, 'confirmation email');
    expect(await store().get(id)).toMatchObject({ status: 'paused', topics: ['politik'] });
    expect(await store().activeIds(store().shardOfEmail('istirahat@contoh.co.id'), 'id', 0, '+inf', 100)).not.toContain(id);
    expect((await fetch(linkIn(mail.parsed.text, 'confirm'))).status).toBe(200);
    expect(await store().get(id)).toMatchObject({ status: 'confirmed', topics: ['dunia'] });
  });

  test('an address that complained gets no email from an anonymous sign-up; unsubscribed and bounced ones get the normal double opt-in', async () => {
    const complained = await confirmedReader('spam@contoh.co.id');
    await store().setStatus(complained, 'complained');
    for (const [email, status] of [['keluar@contoh.co.id', 'unsubscribed'], ['pental@contoh.co.id', 'bounced']] as const) {
      await store().setStatus(await confirmedReader(email), status);
    }
    for (const email of ['spam@contoh.co.id', 'keluar@contoh.co.id', 'pental@contoh.co.id']) expect((await signup(email, 'id', [])).status).toBe(202);
    await waitUntil(async () => k.smtp.to('keluar@contoh.co.id')[0] && k.smtp.to('pental@contoh.co.id')[0], 15_000, 'double opt-in emails');
    // the two confirmation emails kilat sent keluar (first sign-up, then this one) have different Message-IDs
    expect((await signup('keluar@contoh.co.id', 'id', [])).status).toBe(202);
    const twice = await waitUntil(async () => (k.smtp.to('keluar@contoh.co.id').length >= 2 ? k.smtp.to('keluar@contoh.co.id') : undefined), 15_000, 'second confirmation');
    expect(new Set(twice.map((m) => m.parsed.messageId)).size).toBe(twice.length);
    await confirmationsSettled();
    expect(k.smtp.to('spam@contoh.co.id')).toHaveLength(0);
    expect(await store().get(complained)).toMatchObject({ status: 'complained' });
    expect((await store().findByEmail('keluar@contoh.co.id'))?.status).toBe('pending');
  });
});

describe('the sign-up answer and its work are the same for known and new addresses', () => {
  let k: Kilat;
  beforeAll(async () => {
    // No workers: only the API talks to Redis while a sign-up is watched.
    k = await startKilat({ workers: false });
  });
  afterAll(async () => {
    await k.stop();
  });

  /** The commands one sign-up sends to Redis (not those a script runs inside), and its answer. */
  async function observe(email: string): Promise<{ commands: string[]; status: number; body: string; headers: string[] }> {
    const monitorClient = new Redis(k.redis.url);
    const monitor = await monitorClient.monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua') commands.push(args[0]!.toLowerCase());
    });
    const res = await fetch(`${k.baseUrl}/api/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, locale: 'id' }) });
    const body = await res.text();
    // MONITOR lines arrive asynchronously: a PING from the monitored client marks the end.
    const done = 'kilat-observe-done';
    await k.redis.client.ping(done);
    await waitUntil(async () => commands.includes('ping'), 5000, 'monitor caught up');
    monitor.disconnect();
    monitorClient.disconnect();
    return {
      commands: commands.slice(0, commands.lastIndexOf('ping')),
      status: res.status,
      body,
      headers: [...res.headers.keys()].filter((h) => h !== 'date' && h !== 'etag').sort(),
    };
  }

  test('a confirmed address and a new one: same status, body, headers and the same Redis round trips', async () => {
    const s = await k.api.core.subscribers.signup({ email: 'lama@contoh.co.id', locale: 'id', topics: [] });
    await k.api.core.subscribers.confirm(s.id, (await k.api.core.subscribers.get(s.id))!.nonce);
    // warm both paths once (script loading), then watch
    await observe('hangat@contoh.co.id');
    await observe('lama@contoh.co.id');
    const known = await observe('lama@contoh.co.id');
    const fresh = await observe('baru@contoh.co.id');
    expect(known.status).toBe(202);
    expect(fresh).toEqual(known);
    expect(known.commands.length).toBeGreaterThan(0);
  });
});
