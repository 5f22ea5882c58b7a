import fs from 'node:fs';
import path from 'node:path';
import { bearer, linkIn, postJson, waitUntil } from '../helpers/kilat';
import { waitForDrained } from '../helpers/queue-waits';
import { useKilat } from '../helpers/use-kilat';

const seed = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'seed-article.json'), 'utf8'));

describe('breaking-news alert for the seed article, end to end', () => {
  const k = useKilat();

  async function signup(email: string, locale: 'id' | 'en') {
    const res = await postJson(`${k.baseUrl}/api/subscriptions`, { email, locale });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'pending' });
  }

  async function confirm(email: string) {
    const [mail] = k.smtp.to(email);
    const link = linkIn(mail!.parsed.text, 'confirm');
    const res = await fetch(link);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/Langganan dikonfirmasi|Subscription confirmed/);
  }

  async function alertStatus(id: string): Promise<any> {
    const res = await fetch(`${k.baseUrl}/api/alerts/${id}`, { headers: bearer });
    expect(res.status).toBe(200);
    return (await res.json()) as any;
  }

  test('only confirmed Indonesian subscribers get it once, with subject, text part and a working unsubscribe link', async () => {
    await signup('ani@contoh.co.id', 'id');
    await signup('budi@contoh.co.id', 'id');
    await signup('cici@contoh.co.id', 'id'); // never confirms
    await signup('dewi@example.com', 'en');
    await signup('eka@contoh.co.id', 'id'); // confirms, then signs up again
    await k.smtp.waitFor(5);
    for (const m of k.smtp.messages) {
      expect(m.parsed.subject).toMatch(/Konfirmasi|Confirm/);
      expect(m.parsed.text).toBeTruthy();
      expect(m.parsed.html).toContain('/confirm?token=');
    }
    expect(k.smtp.to('dewi@example.com')[0]!.parsed.subject).toContain('Confirm your');

    await confirm('ani@contoh.co.id');
    await confirm('budi@contoh.co.id');
    await confirm('dewi@example.com');
    await confirm('eka@contoh.co.id');
    // signing up a confirmed address again answers the same and changes nothing: the owner gets a
    // confirmation email for the new choices, and stays subscribed as before until they click it
    await signup('EKA@contoh.co.id', 'en');
    await k.smtp.waitFor(6);
    const before = k.smtp.messages.length;
    expect(before).toBe(6);
    expect(k.smtp.to('eka@contoh.co.id').map((m) => m.parsed.subject)).toEqual([expect.stringMatching(/Konfirmasi/), expect.stringMatching(/Confirm your/)]);
    expect(await k.api.core.subscribers.findByEmail('eka@contoh.co.id')).toMatchObject({ status: 'confirmed', locale: 'id' });

    const published = await postJson(`${k.baseUrl}/api/articles`, seed, bearer);
    expect(published.status).toBe(202);
    const alertId = published.body.alertId as string;
    expect(alertId).toBeTruthy();

    const alerts = await k.smtp.waitFor(before + 3);
    const sent = alerts.slice(before);
    expect(sent.flatMap((m) => m.to).sort()).toEqual(['ani@contoh.co.id', 'budi@contoh.co.id', 'eka@contoh.co.id']);
    for (const m of sent) {
      expect(m.parsed.subject).toBe(seed.title);
      expect(m.parsed.text).toContain('BERITA TERKINI');
      expect(m.parsed.text).toContain('Kepala pertahanan Tiongkok pada hari Selasa');
      // the seed's curly quotes survive MJML, MIME and the wire
      expect(m.parsed.text).toContain('“Angkatan bersenjata Tiongkok');
      expect(m.parsed.html).toContain('“Angkatan bersenjata Tiongkok');
      expect(m.parsed.html).toContain('Baca selengkapnya');
      expect(m.parsed.html).toContain(seed.url);
      // the site's sign-up boilerplate is not part of the story
      expect(m.parsed.text).not.toContain('Berlangganan email berita terkini gratis kami');
      expect(m.raw).toMatch(/^List-Unsubscribe: <http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?token=[\w.-]+>\r$/m);
      expect(m.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
    }

    await waitUntil(async () => (await alertStatus(alertId)).state === 'completed', 10_000, 'alert completed');
    expect(await alertStatus(alertId)).toMatchObject({ id: alertId, state: 'completed', total: 3, sent: 3, failed: 0, skipped: 0 });

    // the unsubscribe link in ani's alert: GET asks, POST unsubscribes
    const aniMail = sent.find((m) => m.to.includes('ani@contoh.co.id'))!;
    const unsubscribe = linkIn(aniMail.parsed.text, 'unsubscribe');
    const ask = await fetch(unsubscribe);
    expect(ask.status).toBe(200);
    expect(await ask.text()).toContain('Ya, berhenti berlangganan');
    const done = await fetch(unsubscribe, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Anda telah berhenti berlangganan');

    // publishing the same article again names the existing alert and sends nothing
    const sentBeforeRepublish = k.smtp.messages.length;
    const again = await postJson(`${k.baseUrl}/api/articles`, seed, bearer);
    expect(again.status).toBe(200);
    expect(again.body.alertId).toBe(alertId);
    const byUrl = await postJson(`${k.baseUrl}/api/articles`, { ...seed, id: undefined }, bearer);
    expect(byUrl.status).toBe(200);
    expect(byUrl.body.alertId).toBe(alertId);
    // Had a republish queued a second fan-out, its messages would be at the SMTP server once drained.
    await waitForDrained(k);
    expect(k.smtp.messages.length).toBe(sentBeforeRepublish);

    // a second article reaches only who is still subscribed: budi and eka, not ani
    const second = await postJson(`${k.baseUrl}/api/articles`, { ...seed, id: 'seed-2', title: 'Kabar kedua' }, bearer);
    expect(second.status).toBe(202);
    await waitUntil(async () => (await k.api.core.alerts.state(second.body.alertId)) === 'completed', 20_000, 'the second alert completed');
    await waitForDrained(k);
    const after = k.smtp.messages;
    expect(k.smtp.messages.length).toBe(before + 5);
    expect(after.slice(before + 3).flatMap((m) => m.to).sort()).toEqual(['budi@contoh.co.id', 'eka@contoh.co.id']);
    expect(k.smtp.to('cici@contoh.co.id')).toHaveLength(1); // only its confirmation
    expect(k.smtp.to('dewi@example.com')).toHaveLength(1); // English subscriber: no Indonesian alert
  });
});
