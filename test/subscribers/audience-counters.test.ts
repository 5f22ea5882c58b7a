import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kilatCli } from '../helpers/cli';
import { formSession, postForm } from '../helpers/forms';
import { bearer, linkIn, postJson, waitUntil, type Kilat } from '../helpers/kilat';
import { oneClick, publish, waitForAlert } from '../helpers/lifecycle';
import { useKilat } from '../helpers/use-kilat';

const WEBHOOK_SECRET = 'test-bounce-webhook-secret-0123456789';
const hook = { authorization: `Bearer ${WEBHOOK_SECRET}` };

/** Eighteen readers: r12 and r13 read English, the rest Bahasa Indonesia; a few topic choices. */
const READERS = Array.from({ length: 18 }, (_, i) => {
  const n = String(i + 1).padStart(2, '0');
  const topics = [['politik'], [], ['ekonomi', 'dunia'], ['olahraga']][i % 4]!;
  return { email: `r${n}@contoh.co.id`, locale: i + 1 === 12 || i + 1 === 13 ? ('en' as const) : ('id' as const), topics };
});
const r = (n: number) => READERS[n - 1]!.email;

/** The https URL of a message's List-Unsubscribe header (what a mail client's one-click posts to). */
function listUnsubscribeUrl(raw: string): string {
  const header = /^List-Unsubscribe:(.*(?:\r?\n[ \t].*)*)/im.exec(raw)?.[1] ?? '';
  const url = /<(https?:\/\/[^>]+)>/.exec(header.replace(/\r?\n[ \t]/g, ''))?.[1];
  if (!url) throw new Error(`no List-Unsubscribe URL in:\n${raw.slice(0, 2000)}`);
  return url;
}

describe('audience counters agree with a recount of the records after every kind of event', () => {
  const k: Kilat = useKilat({ env: { BOUNCE_WEBHOOK_SECRET: WEBHOOK_SECRET, SOFT_BOUNCE_LIMIT: '3' } });

  const confirmMail = (email: string, nth = 0) => waitUntil(async () => k.smtp.to(email).filter((m) => /confirm\?token=/.test(m.parsed.text ?? ''))[nth], 15_000, `confirmation ${nth} to ${email}`);
  const alertTo = (email: string) => waitUntil(async () => k.smtp.to(email).find((m) => /unsubscribe\?token=/.test(m.parsed.text ?? '') && !/confirm\?token=/.test(m.parsed.text ?? '')), 15_000, `alert to ${email}`);
  const lookup = async (email: string) => (await postJson(`${k.baseUrl}/api/subscribers/lookup`, { email }, bearer)).body;

  test('a scripted mix of sign-ups, confirmations, unsubscribes of each kind, bounces and complaints', async () => {
    // 18 sign-ups through the API; 15 confirm from their email, r16-r18 stay pending
    for (const reader of READERS) expect((await postJson(`${k.baseUrl}/api/subscriptions`, reader)).status).toBe(202);
    for (let n = 1; n <= 15; n++) expect((await fetch(linkIn((await confirmMail(r(n))).parsed.text, 'confirm'))).status).toBe(200);

    // one alert per language; the relay refuses r05 as an unknown mailbox (a hard bounce while sending)
    k.smtp.rejectRecipient = (address) => (address === r(5) ? 550 : undefined);
    const id = await publish(k, { locale: 'id' });
    const en = await publish(k, { locale: 'en', title: 'Breaking' });
    const [idDone, enDone] = [await waitForAlert(k, id), await waitForAlert(k, en)];
    expect([idDone.sent, idDone.failed, enDone.sent]).toEqual([12, 1, 2]);
    k.smtp.rejectRecipient = () => undefined;

    // unsubscribes, one of each kind:
    // r01: the mail client's one-click (RFC 8058 POST to the List-Unsubscribe URL)
    expect((await oneClick(listUnsubscribeUrl((await alertTo(r(1))).raw))).status).toBe(200);
    // r02: the footer link: the page asks, its button posts
    const footer = linkIn((await alertTo(r(2))).parsed.text, 'unsubscribe');
    const footerPage = await (await fetch(footer)).text();
    expect(footerPage).toContain('name="via" value="footer"');
    expect((await postForm(footer, { 'List-Unsubscribe': 'One-Click', via: 'footer' })).status).toBe(200);
    // r03: the unsubscribe button of the preferences page; r04: its action form
    const prefs3 = linkIn((await alertTo(r(3))).parsed.text, 'preferences');
    const prefsPage = await (await fetch(prefs3)).text();
    const button = /<form method="post" action="([^"]*unsubscribe\?token=[^"]+)"/.exec(prefsPage)![1]!.replace(/&amp;/g, '&');
    expect(prefsPage).toContain('name="via" value="preferences"');
    expect((await postForm(new URL(button, k.baseUrl).toString(), { 'List-Unsubscribe': 'One-Click', via: 'preferences' })).status).toBe(200);
    const prefs4 = linkIn((await alertTo(r(4))).parsed.text, 'preferences');
    expect((await postForm(prefs4, { action: 'unsubscribe' })).status).toBe(200);
    // r06 pauses on the preferences page
    const prefs6 = linkIn((await alertTo(r(6))).parsed.text, 'preferences');
    expect((await postForm(prefs6, { action: 'pause' })).status).toBe(200);
    // r12 changes topics (a confirmed subscriber's topic counts move)
    const prefs12 = linkIn((await alertTo(r(12))).parsed.text, 'preferences');
    expect((await postForm(prefs12, { locale: 'en', topics: ['teknologi', 'dunia'] }, { session: await formSession(prefs12) })).status).toBe(200);

    // bounce webhook: a hard bounce (r07), soft bounces up to SOFT_BOUNCE_LIMIT (r08), a complaint (r09)
    expect((await postJson(`${k.baseUrl}/api/webhooks/bounces`, { email: r(7), type: 'hard' }, hook)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await postJson(`${k.baseUrl}/api/webhooks/bounces`, { email: r(8), type: 'soft' }, hook)).status).toBe(200);
    expect((await postJson(`${k.baseUrl}/api/webhooks/bounces`, { email: r(9), type: 'complaint' }, hook)).status).toBe(200);

    // the newsroom unsubscribes r10 and deletes r11
    expect((await postJson(`${k.baseUrl}/api/subscribers/unsubscribe`, { email: r(10) }, bearer)).body.changed).toBe(true);
    expect((await postJson(`${k.baseUrl}/api/subscribers/delete`, { email: r(11) }, bearer)).body).toEqual({ deleted: true });

    // r01 comes back: a fresh sign-up and confirmation
    expect((await postJson(`${k.baseUrl}/api/subscriptions`, READERS[0])).status).toBe(202);
    expect((await fetch(linkIn((await confirmMail(r(1), 1)).parsed.text, 'confirm'))).status).toBe(200);

    // --- the counters, as the page and API read them
    const stats = await fetch(`${k.baseUrl}/api/stats/audience?days=30`, { headers: bearer });
    expect(stats.status).toBe(200);
    const audience = (await stats.json()) as any;
    const today = audience.days[audience.days.length - 1];
    expect(audience.days).toHaveLength(30);
    expect(today.day).toBe(new Date().toISOString().slice(0, 10));

    // --- the recount, as an operator runs it
    const recount = await kilatCli(k.env, 'stats', 'recount', '--json');
    expect([recount.code, recount.stderr]).toEqual([0, '']);
    const report = JSON.parse(recount.stdout);
    const table = await kilatCli(k.env, 'stats', 'recount');

    // The figures for the closing note.
    console.log(
      [
        'audience counters vs recount after the scripted mix:',
        table.stdout.trimEnd(),
        `today (UTC ${today.day}): ${today.signups} sign-ups, ${today.confirmations} confirmations, unsubscribes ${JSON.stringify(today.unsubscribes)}, ${today.bounces} bounces, ${today.complaints} complaints, ${today.deletions} deletions`,
      ].join('\n'),
    );

    expect(report.differences).toEqual([]);
    expect(report.scanned).toBe(17);
    expect(audience.totals).toEqual(report.records);
    expect(audience.totals.byStatus).toEqual({ pending: 3, confirmed: 5, paused: 1, unsubscribed: 4, bounced: 3, complained: 1 });
    expect(audience.totals.total).toBe(17);
    // confirmed now: r01 (politik), r12 (en: teknologi, dunia), r13 (en: politik), r14 (none), r15 (ekonomi, dunia)
    expect(audience.totals.byLocale).toEqual({ id: 3, en: 2 });
    expect(audience.totals.byTopic).toEqual({ politik: 2, teknologi: 1, dunia: 2, ekonomi: 1 });
    expect(audience.totals.allTopics).toBe(1);
    expect(today).toEqual({
      day: today.day,
      signups: 19,
      confirmations: 16,
      imports: 0,
      unsubscribes: { 'one-click': 1, footer: 1, preferences: 2, newsroom: 1, other: 0, total: 5 },
      bounces: 3,
      complaints: 1,
      deletions: 1,
    });
    expect(audience.days.slice(0, -1).every((d: any) => d.signups === 0 && d.unsubscribes.total === 0)).toBe(true);

    // per subscriber: copies received and the last bounce
    expect((await lookup(r(14))).alertsReceived).toBe(1);
    expect((await lookup(r(12))).alertsReceived).toBe(1);
    expect((await lookup(r(5))).alertsReceived).toBe(0);
    expect((await lookup(r(5))).lastBounce).toEqual({ at: expect.any(String), kind: 'hard' });
    expect((await lookup(r(8))).lastBounce).toEqual({ at: expect.any(String), kind: 'soft' });
    expect((await lookup(r(9))).lastBounce).toEqual({ at: expect.any(String), kind: 'complaint' });
    expect((await lookup(r(16))).lastBounce).toBeNull();
  });

  test('counters that drifted are found by the recount and repaired from the records', async () => {
    const shard = k.api.core.keys.addressIndex(r(14)).shard;
    const key = k.api.core.keys.audienceTotals(shard);
    await k.redis.client.hincrby(key, 'st:c', 7);
    await k.redis.client.hdel(key, 'loc:id');
    const found = await kilatCli(k.env, 'stats', 'recount', '--json');
    expect(found.code).toBe(3);
    const diff = JSON.parse(found.stdout).differences;
    expect(diff).toEqual(expect.arrayContaining([expect.objectContaining({ shard, field: 'st:c' })]));
    const repaired = await kilatCli(k.env, 'stats', 'recount', '--repair', '--json');
    expect(repaired.code).toBe(0);
    expect(JSON.parse(repaired.stdout).repaired).toEqual([shard]);
    const again = JSON.parse((await kilatCli(k.env, 'stats', 'recount', '--json')).stdout);
    expect(again.differences).toEqual([]);
    const totals = (await (await fetch(`${k.baseUrl}/api/stats/audience`, { headers: bearer })).json()) as any;
    expect(totals.totals.byStatus.confirmed).toBe(5);
    expect(totals.totals.byLocale).toEqual({ id: 3, en: 2 });
  });

  test('a CSV import moves the counters too: new readers confirmed at once, a departed one left alone', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-import-')), 'list.csv');
    fs.writeFileSync(file, `email,locale,topics\nimpor1@contoh.co.id,id,politik\nimpor2@contoh.co.id,en,\n${r(10)},id,dunia\n${r(16)},id,\n`);
    const imported = await kilatCli(k.env, 'subscribers', 'import', '--confirmed', file);
    expect(imported.code).toBe(0);
    const audience = (await (await fetch(`${k.baseUrl}/api/stats/audience?days=1`, { headers: bearer })).json()) as any;
    // two new confirmed, r16 pending -> confirmed, r10 (unsubscribed) stays out
    expect(audience.totals.byStatus).toMatchObject({ pending: 2, confirmed: 8, unsubscribed: 4 });
    expect(audience.days[0].imports).toBe(2);
    const recount = JSON.parse((await kilatCli(k.env, 'stats', 'recount', '--json')).stdout);
    expect(recount.differences).toEqual([]);
    expect(audience.totals).toEqual(recount.records);
  });
});
