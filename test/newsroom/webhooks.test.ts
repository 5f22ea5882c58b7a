import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearer, linkIn, postJson, startKilat, waitUntil, type Kilat } from '../helpers/kilat';

const SECRET = 'webhook-secret-0123456789';

describe('outgoing webhooks', () => {
  let k: Kilat;
  let server: http.Server;
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  let failNext = 2;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        // The receiver is down for the first two deliveries: they must be retried.
        if (failNext > 0) {
          failNext--;
          return void res.writeHead(503).end();
        }
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
    k = await startKilat({ env: { WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET, WEBHOOK_RETRY_BASE_MS: '100' } });
  });
  afterAll(async () => {
    await k.stop();
    server.closeAllConnections();
    server.close();
  });

  const events = () => received.map((r) => JSON.parse(r.body));

  test('subscriber.confirmed, alert.completed and subscriber.unsubscribed arrive signed, after retries', async () => {
    await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'ani@contoh.co.id', locale: 'id' });
    const [mail] = await k.smtp.waitFor(1);
    await fetch(linkIn(mail!.parsed.text, 'confirm'));
    await waitUntil(async () => events().some((e) => e.event === 'subscriber.confirmed'), 15_000, 'subscriber.confirmed');

    const published = await postJson(`${k.baseUrl}/api/articles`, { title: 'Gempa', body: 'Gempa di Maluku.', locale: 'id' }, bearer);
    await waitUntil(async () => events().some((e) => e.event === 'alert.completed'), 15_000, 'alert.completed');
    const [alertMail] = k.smtp.to('ani@contoh.co.id').slice(1);
    const unsubscribe = linkIn(alertMail!.parsed.text, 'unsubscribe');
    await fetch(unsubscribe, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    await waitUntil(async () => events().some((e) => e.event === 'subscriber.unsubscribed'), 15_000, 'subscriber.unsubscribed');

    expect(failNext).toBe(0);
    const byEvent = Object.fromEntries(events().map((e) => [e.event, e]));
    expect(byEvent['subscriber.confirmed'].data.subscriber).toMatchObject({ email: 'ani@contoh.co.id', status: 'confirmed' });
    expect(byEvent['alert.completed'].data.alert).toMatchObject({ id: published.body.alertId, state: 'completed', sent: 1 });
    expect(byEvent['subscriber.unsubscribed'].data.subscriber).toMatchObject({ email: 'ani@contoh.co.id', status: 'unsubscribed' });
    // each delivery is signed over its exact body: t=<seconds>,v1=HMAC-SHA256(secret, "<t>.<body>")
    for (const r of received) {
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r.headers['kilat-signature']));
      expect(m).toBeTruthy();
      expect(createHmac('sha256', SECRET).update(`${m![1]}.${r.body}`).digest('hex')).toBe(m![2]);
      expect(Math.abs(Date.now() / 1000 - Number(m![1]))).toBeLessThan(60);
      expect(r.headers['kilat-event']).toBe(JSON.parse(r.body).event);
    }
    // a tampered body does not verify
    const r0 = received[0]!;
    const [, t, mac] = /^t=(\d+),v1=(\w+)$/.exec(String(r0.headers['kilat-signature']))!;
    expect(createHmac('sha256', SECRET).update(`${t}.${r0.body.replace('ani', 'eve')}`).digest('hex')).not.toBe(mac);
    // one delivery per event
    expect(events().map((e) => e.event).sort()).toEqual(['alert.completed', 'subscriber.confirmed', 'subscriber.unsubscribed']);
  });
});
