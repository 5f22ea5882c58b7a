import fs from 'node:fs';
import path from 'node:path';
import { linkIn, postJson, type Kilat } from '../helpers/kilat';
import { alertStatus, oneClick, publish, waitForAlert } from '../helpers/lifecycle';
import { postForm } from '../helpers/forms';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { useKilat } from '../helpers/use-kilat';
import type { CapturedMessage } from '../helpers/smtp-capture';

const WEBHOOK_SECRET = 'bounce-webhook-secret-0123456789';
const auth = { authorization: `Bearer ${WEBHOOK_SECRET}` };
const sample = (name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'dsn', name), 'utf8');

// Every figure here comes from a real alert: its copies captured by a real SMTP server, their links
// and headers read with mailparser, the readers' actions made through the real pages and webhook.
describe('per-alert outcomes: unsubscribes, bounces and complaints are counted toward the alert that caused them', () => {
  const k: Kilat = useKilat({ env: { BOUNCE_WEBHOOK_SECRET: WEBHOOK_SECRET, BOUNCE_DOMAIN: 'bounce.kilat.example' } }, async (kilat) => {
    await seedConfirmed(kilat.api.core.subscribers, 7, { locale: 'en', prefix: 'pembaca', domain: 'contoh.co.id' });
  });
  const reader = (i: number) => `pembaca${i}@contoh.co.id`;
  const store = () => k.api.core.subscribers;
  const copyOf = (alertId: string, email: string): CapturedMessage => {
    const copy = k.smtp.to(email).find((m) => (m.parsed.messageId ?? '').includes(`.a${alertId}.`));
    if (!copy) throw new Error(`no copy of alert ${alertId} to ${email}`);
    return copy;
  };
  const headerUnsubscribe = (m: CapturedMessage) => /<(https?:\/\/[^>]+)>/.exec(m.parsed.headerLines.find((l) => l.key === 'list-unsubscribe')!.line.replace(/\r?\n[ \t]+/g, ''))![1]!;
  const post = (body: string) => fetch(`${k.baseUrl}/api/webhooks/bounces`, { method: 'POST', headers: { 'content-type': 'message/rfc822', ...auth }, body });
  /** A fixture report as it comes back for one real copy: its recipient and its Message-ID. */
  const reportAbout = (fixture: string, oldAddress: RegExp, m: CapturedMessage) =>
    sample(fixture)
      .replace(oldAddress, m.to[0]!)
      .replace(/<[0-9a-f]{20,}@kilat\.example>/g, m.parsed.messageId!);

  let first: string;
  let second: string;

  beforeAll(async () => {
    first = await publish(k, { title: 'Banjir di Jakarta', url: 'https://berita.example/banjir', locale: 'en' });
    await waitForAlert(k, first);
    second = await publish(k, { title: 'Gempa di Cianjur', url: 'https://berita.example/gempa', locale: 'en' });
    await waitForAlert(k, second);
  });

  test('a new alert starts with every outcome at zero', async () => {
    expect((await alertStatus(k, second)).outcomes).toEqual({ unsubscribed: 0, bounced: 0, complained: 0, clicks: { unique: 0, total: 0 } });
  });

  test('the List-Unsubscribe header, the footer link and the preferences page each count once, for their own alert', async () => {
    // one-click from the header of the first alert's copy, as Gmail does it; providers retry, a reader clicks twice
    const header = headerUnsubscribe(copyOf(first, reader(0)));
    for (let i = 0; i < 3; i++) expect((await oneClick(header)).status).toBe(200);
    // the footer link of the first alert: the page asks, its button posts
    const footer = linkIn(copyOf(first, reader(1)).parsed.text, 'unsubscribe');
    const ask = await (await fetch(footer)).text();
    const action = /<form method="post" action="([^"]+)"/.exec(ask)![1]!.replaceAll('&amp;', '&');
    expect((await oneClick(`${k.baseUrl}${action}`)).status).toBe(200);
    // the preferences page of the second alert: its unsubscribe form
    const prefs = linkIn(copyOf(second, reader(2)).parsed.text, 'preferences');
    const left = await postForm(prefs, { action: 'unsubscribe' });
    expect(left.status).toBe(200);
    expect(await left.text()).toContain('You are unsubscribed');

    for (const i of [0, 1, 2]) expect((await store().findByEmail(reader(i)))!.status).toBe('unsubscribed');
    expect((await alertStatus(k, first)).outcomes.unsubscribed).toBe(2);
    expect((await alertStatus(k, second)).outcomes.unsubscribed).toBe(1);
  });

  test("a link re-pointed at another alert is refused and counts nowhere: the alert id is signed with the reader's token", async () => {
    const link = headerUnsubscribe(copyOf(first, reader(3)));
    const token = new URL(link).searchParams.get('token')!;
    const parts = token.split('.');
    expect(parts).toHaveLength(6);
    expect(parts[4]).toBe(Number(first).toString(36));
    parts[4] = Number(second).toString(36);
    const forged = `${k.baseUrl}/unsubscribe?token=${parts.join('.')}`;
    const res = await oneClick(forged);
    expect(res.status).toBe(400);
    // an old-style token without the alert part, re-signed by nobody: also refused
    expect((await oneClick(`${k.baseUrl}/unsubscribe?token=${[...parts.slice(0, 4), parts[5]].join('.')}`)).status).toBe(400);
    expect((await store().findByEmail(reader(3)))!.status).toBe('confirmed');
    expect((await alertStatus(k, first)).outcomes.unsubscribed).toBe(2);
    expect((await alertStatus(k, second)).outcomes.unsubscribed).toBe(1);
  });

  test("a DSN and an ARF complaint quoting a copy's Message-ID count toward that copy's alert, once each", async () => {
    const bounced = copyOf(first, reader(4));
    // the relay took the message; the receiving MTA later sent a DSN back to the VERP address
    expect(bounced.from).toMatch(/^bounces\+k1\.[0-9a-z]+\.a\d+\.[0-9a-f]{16}@bounce\.kilat\.example$/);
    const dsn = reportAbout('postfix-user-unknown.eml', /gone\.user@contoh\.co\.id/g, bounced);
    for (let i = 0; i < 2; i++) {
      const res = await post(dsn);
      expect(((await res.json()) as any).results).toEqual([expect.objectContaining({ type: 'hard', outcome: 'suppressed' })]);
    }
    const complaint = reportAbout('yahoo-arf-complaint.eml', /tidak\.suka@yahoo\.co\.id/g, copyOf(second, reader(5)));
    expect(((await (await post(complaint)).json()) as any).results[0]).toMatchObject({ type: 'complaint', outcome: 'suppressed' });

    expect((await store().findByEmail(reader(4)))!.status).toBe('bounced');
    expect((await store().findByEmail(reader(5)))!.status).toBe('complained');
    expect((await alertStatus(k, first)).outcomes).toMatchObject({ bounced: 1, complained: 0 });
    expect((await alertStatus(k, second)).outcomes).toMatchObject({ bounced: 0, complained: 1 });
  });

  test("a provider's JSON event with the copy's Message-ID names the alert; one with another reader's Message-ID names none", async () => {
    // another reader's Message-ID does not move this reader's complaint onto that alert
    let res = await postJson(`${k.baseUrl}/api/webhooks/bounces`, { email: reader(6), type: 'complaint', messageId: copyOf(first, reader(3)).parsed.messageId }, auth);
    expect(res.body.results[0].outcome).toBe('suppressed');
    expect((await alertStatus(k, first)).outcomes.complained).toBe(0);
    // its own Message-ID, for a reader still subscribed: counted toward that copy's alert
    res = await postJson(`${k.baseUrl}/api/webhooks/bounces`, { email: reader(3), type: 'hard', messageId: copyOf(second, reader(3)).parsed.messageId }, auth);
    expect(res.body.results[0].outcome).toBe('suppressed');
    expect((await alertStatus(k, second)).outcomes).toMatchObject({ bounced: 1, complained: 1, unsubscribed: 1 });
    expect((await alertStatus(k, first)).outcomes).toEqual({ unsubscribed: 2, bounced: 1, complained: 0, clicks: { unique: 0, total: 0 } });
  });
});
