import pino from 'pino';
import { startKilat, type Kilat } from '../helpers/kilat';
import { alertStatus, publish, subscribeConfirmed, waitForAlert } from '../helpers/lifecycle';
import { createKeys } from '../../src/keys';
import { SubscriberStore } from '../../src/subscribers/subscriber-store';
import { AlertStore } from '../../src/alerts/alert-store';
import { createBatchSender } from '../../src/alerts/send-batch';
import { createMailer } from '../../src/mail/mailer';
import { createRenderer } from '../../src/mail/render';
import { createSmtpTransport } from '../../src/mail/transport';
import { smtpOptions } from '../helpers/smtp-options';
import { createLinks } from '../../src/subscribers/links';
import { TokenSigner } from '../../src/subscribers/tokens';
import { MessageTags } from '../../src/subscribers/message-tags';
import { loadCatalog } from '../../src/i18n';
import { templatesDir } from '../../src/paths';
import { toArticle } from '../../src/article';

describe('bounces and suppression at send time', () => {
  let k: Kilat;
  let store: SubscriberStore;
  beforeAll(async () => {
    k = await startKilat({ env: { SOFT_BOUNCE_LIMIT: '2', BOUNCE_DOMAIN: 'bounce.kilat.example', BOUNCE_WEBHOOK_SECRET: 'bounce-webhook-secret-0123456789' } });
    store = new SubscriberStore({ redis: k.redis.client, keys: createKeys(k.config.keyPrefix) });
  });
  afterAll(async () => {
    await k.stop();
  });

  const sentTo = (from: number) => k.smtp.messages.slice(from).flatMap((m) => m.to).sort();

  test('a 550 for one address: the others are delivered, it is suppressed, never retried, never mailed again', async () => {
    for (const e of ['satu@contoh.co.id', 'dua@contoh.co.id', 'hilang@contoh.co.id']) await subscribeConfirmed(k, e);
    k.smtp.rejectRecipient = (a) => (a === 'hilang@contoh.co.id' ? 550 : undefined);
    let before = k.smtp.messages.length;
    const first = await publish(k);
    expect(await waitForAlert(k, first)).toMatchObject({ total: 3, sent: 2, failed: 1, skipped: 0 });
    expect(sentTo(before)).toEqual(['dua@contoh.co.id', 'satu@contoh.co.id']);
    expect((await store.findByEmail('hilang@contoh.co.id'))!.status).toBe('bounced');

    // the server would take it now, but a suppressed address is not tried again
    k.smtp.rejectRecipient = () => undefined;
    before = k.smtp.messages.length;
    const second = await publish(k);
    expect(await waitForAlert(k, second)).toMatchObject({ total: 2, sent: 2, failed: 0 });
    expect(sentTo(before)).toEqual(['dua@contoh.co.id', 'satu@contoh.co.id']);

    // signing up again starts a fresh double opt-in: a confirmation email, no alert until confirmed
    before = k.smtp.messages.length;
    const res = await fetch(`${k.baseUrl}/api/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'hilang@contoh.co.id' }) });
    expect(res.status).toBe(202);
    await k.smtp.waitFor(before + 1);
    expect(k.smtp.messages[before]!.parsed.subject).toMatch(/Konfirmasi/);
    expect((await store.findByEmail('hilang@contoh.co.id'))!.status).toBe('pending');
    const third = await publish(k);
    await waitForAlert(k, third);
    expect(sentTo(before + 1)).toEqual(['dua@contoh.co.id', 'satu@contoh.co.id']);
    expect((await alertStatus(k, third)).sent).toBe(2);
  });

  test(`soft bounces: SOFT_BOUNCE_LIMIT failed deliveries in a row suppress; a delivery in between resets the count`, async () => {
    // The batch sender on its last attempt, over real Redis and real SMTP (the queue's own backoff
    // would take minutes to run out).
    const keys = createKeys(k.config.keyPrefix);
    const alerts = new AlertStore({ redis: k.redis.client, keys });
    const transport = createSmtpTransport({ connection: smtpOptions(k.smtp.url), poolSize: 2 });
    const renderer = createRenderer({ catalog: loadCatalog(), templatesDir, siteName: 'Kilat', excerptParagraphs: 3, timeZone: 'Asia/Jakarta', confirmTokenTtlHours: 48 });
    const sender = createBatchSender({
      alerts,
      subscribers: store,
      mailer: createMailer({ renderer, transport, mailFrom: k.config.mailFrom }),
      links: createLinks({ publicUrl: k.baseUrl, signer: new TokenSigner([k.config.secretKey]), tags: new MessageTags([k.config.secretKey]), confirmTokenTtlSeconds: 3600 }),
      sendConcurrency: 4,
      logger: pino({ level: 'silent' }),
      softBounceLimit: 2,
    });
    try {
      await subscribeConfirmed(k, 'penuh@contoh.co.id');
      const sub = (await store.findByEmail('penuh@contoh.co.id'))!;
      const shard = sub.id % 16;
      let n = 0;
      const sendOnce = async () => {
        const { id } = await alerts.create(toArticle({ id: `soft-${++n}`, title: `Soft ${n}`, body: 'Isi.' }, 'id'));
        await alerts.markSending(id);
        const ids = await store.activeIds(shard, 'id', 0, '+inf', 1000);
        return sender.send(id, { shard, after: 0, upTo: ids[ids.length - 1] ?? 0, count: ids.length }, { attempt: 1, maxAttempts: 1 });
      };
      k.smtp.rejectRecipient = (a) => (a === 'penuh@contoh.co.id' ? 452 : undefined);
      expect((await sendOnce()).failed).toBeGreaterThanOrEqual(1);
      expect(await store.softBounceCount(sub.id)).toBe(1);
      // delivered once: the run is broken
      k.smtp.rejectRecipient = () => undefined;
      await sendOnce();
      expect(await store.softBounceCount(sub.id)).toBe(0);
      k.smtp.rejectRecipient = (a) => (a === 'penuh@contoh.co.id' ? 452 : undefined);
      await sendOnce();
      expect((await store.get(sub.id))!.status).toBe('confirmed');
      await sendOnce();
      expect((await store.get(sub.id))!.status).toBe('bounced');
      expect((await store.activeIds(shard, 'id', 0, '+inf', 1000)).includes(sub.id)).toBe(false);
    } finally {
      k.smtp.rejectRecipient = () => undefined;
      await transport.close();
    }
  });
  test('VERP: each copy goes out from bounces+<its signed tag>@BOUNCE_DOMAIN; the bounce to that address suppresses exactly its subscriber', async () => {
    await subscribeConfirmed(k, 'verp@contoh.co.id');
    await subscribeConfirmed(k, 'tetangga@contoh.co.id');
    const before = k.smtp.messages.length;
    const alertId = await publish(k);
    await waitForAlert(k, alertId);
    const copy = k.smtp.messages.slice(before).find((m) => m.to.includes('verp@contoh.co.id'))!;
    const sub = (await store.findByEmail('verp@contoh.co.id'))!;
    const tag = k.api.core.links.messageTag(sub.id, `a${alertId}`);
    expect(copy.from).toBe(`bounces+${tag}@bounce.kilat.example`);
    expect(copy.parsed.messageId).toBe(`<${tag}@kilat.example>`);
    const neighbour = k.smtp.messages.slice(before).find((m) => m.to.includes('tetangga@contoh.co.id'))!;
    expect(neighbour.from).not.toBe(copy.from);
    // What the receiving MTA sends back, to the envelope sender, without the original message.
    const dsn = [
      'From: MAILER-DAEMON@mx.contoh.co.id',
      `To: ${copy.from}`,
      'Subject: Undelivered Mail Returned to Sender',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
      '',
      '--r',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.contoh.co.id',
      '',
      'Final-Recipient: rfc822; verp@contoh.co.id',
      'Action: failed',
      'Status: 5.1.1',
      '',
      '--r--',
      '',
    ].join('\r\n');
    const res = await fetch(`${k.baseUrl}/api/webhooks/bounces`, { method: 'POST', headers: { 'content-type': 'message/rfc822', authorization: 'Bearer bounce-webhook-secret-0123456789' }, body: dsn });
    expect(((await res.json()) as any).results).toEqual([{ email: 'v***p@c***.co.id', type: 'hard', status: '5.1.1', outcome: 'suppressed' }]);
    expect((await store.get(sub.id))!.status).toBe('bounced');
    expect((await store.findByEmail('tetangga@contoh.co.id'))!.status).toBe('confirmed');
  });
});
