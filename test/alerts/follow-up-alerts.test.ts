import type { CapturedMessage } from '../helpers/smtp-capture';
import { bearer, linkIn, postJson, waitUntil } from '../helpers/kilat';
import { alertStatus, oneClick } from '../helpers/lifecycle';
import { waitForDrained } from '../helpers/queue-waits';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { useKilat } from '../helpers/use-kilat';

/**
 * Follow-up alerts (`updates`): each copy threads under the copies of the story this reader got,
 * as mail clients see it in the MIME parsed by mailparser from the real SMTP capture: In-Reply-To
 * the reader's latest earlier copy, References all of them root first, the story's first subject.
 * Readers who left get nothing; readers who got none of it get an ordinary alert.
 */
const ORIGINAL_READERS = 5;
const STORY = { id: 'gempa-cianjur-2026', url: 'https://berita.example/gempa-cianjur' };

describe('follow-up alerts thread under the original for each reader', () => {
  let first: string[];
  const k = useKilat({}, async (kilat) => {
    first = await seedConfirmed(kilat.api.core.subscribers, ORIGINAL_READERS, { domain: 'utas.example', prefix: 'lama' });
  });

  const copiesOf = async (alertId: string, count: number): Promise<Map<string, CapturedMessage>> => {
    await waitUntil(async () => (await alertStatus(k, alertId)).state === 'completed', 30_000, `alert ${alertId} completed`);
    await waitForDrained(k);
    // Each copy's Message-ID names its alert (`.a<id>.` in the signed tag): the copies of this one.
    const mine = k.smtp.messages.filter((m) => m.parsed.messageId?.includes(`.a${alertId}.`));
    expect(mine).toHaveLength(count);
    return new Map(mine.map((m) => [m.to[0]!, m]));
  };
  const refs = (m: CapturedMessage) => [m.parsed.references ?? []].flat();
  const publish = async (body: Record<string, unknown>) => {
    const res = await postJson(`${k.baseUrl}/api/articles`, { body: 'Paragraf pertama.\n\nParagraf kedua.', ...body }, bearer);
    expect(res.status).toBe(202);
    return res.body.alertId as string;
  };

  test('an update and an update of the update: threading headers per reader, leavers get nothing, newcomers an ordinary alert', async () => {
    const root = await publish({ ...STORY, title: 'Gempa M5,6 guncang Cianjur' });
    const rootCopies = await copiesOf(root, ORIGINAL_READERS);
    const rootId = (email: string) => rootCopies.get(email)!.parsed.messageId!;
    // Deterministic, signed, and no address in it.
    for (const [email, m] of rootCopies) {
      expect(m.parsed.messageId).toMatch(new RegExp(`^<k1\\.[0-9a-z]+\\.a${root}\\.[0-9a-f]{16}@kilat\\.example>$`));
      expect(m.parsed.messageId).not.toContain(email.split('@')[0]);
      expect(m.parsed.inReplyTo).toBeUndefined();
    }

    // Since then: one reader unsubscribed with the link in their copy, one bounced, two joined.
    const [leaver, bouncer, ...stayed] = first;
    expect((await oneClick(linkIn(rootCopies.get(leaver!)!.parsed.text, 'unsubscribe'))).status).toBe(200);
    await k.api.core.subscribers.setStatus((await k.api.core.subscribers.findByEmail(bouncer!))!.id, 'bounced');
    const newcomers = await seedConfirmed(k.api.core.subscribers, 2, { domain: 'utas.example', prefix: 'baru' });

    // The update keeps the story's id and URL: it is not a duplicate of the original.
    const update = await publish({ ...STORY, updates: root, title: 'Korban gempa Cianjur bertambah', summary: 'Korban tewas bertambah menjadi 12 orang.' });
    const updateCopies = await copiesOf(update, stayed.length + newcomers.length);
    expect([...updateCopies.keys()].sort()).toEqual([...stayed, ...newcomers].sort());
    expect(updateCopies.has(leaver!)).toBe(false);
    expect(updateCopies.has(bouncer!)).toBe(false);

    for (const email of stayed) {
      const m = updateCopies.get(email)!;
      expect([email, m.parsed.inReplyTo, refs(m)]).toEqual([email, rootId(email), [rootId(email)]]);
      // The story's first subject, so Gmail and Outlook keep it in the conversation.
      expect(m.parsed.subject).toBe('Gempa M5,6 guncang Cianjur');
      // The banner, then the update's headline and what changed, first.
      const text = m.parsed.text!;
      expect(text.startsWith('PEMBARUAN\nPembaruan untuk berita yang kami kirim sebelumnya: “Gempa M5,6 guncang Cianjur”.')).toBe(true);
      expect(text.indexOf('Korban gempa Cianjur bertambah')).toBeLessThan(text.indexOf('Yang baru: Korban tewas bertambah menjadi 12 orang.'));
      expect(text.indexOf('Yang baru: Korban tewas')).toBeLessThan(text.indexOf('Paragraf pertama.'));
      expect(m.parsed.html).toContain('PEMBARUAN');
    }
    for (const email of newcomers) {
      const m = updateCopies.get(email)!;
      expect([email, m.parsed.inReplyTo, m.parsed.references, m.parsed.headers.has('in-reply-to')]).toEqual([email, undefined, undefined, false]);
      expect(m.parsed.subject).toBe('Korban gempa Cianjur bertambah');
      expect(m.parsed.text!.startsWith('BERITA TERKINI\n')).toBe(true);
    }
    const updateId = (email: string) => updateCopies.get(email)!.parsed.messageId!;

    // An update of the update threads to the story's root: References root first, then the update.
    const second = await publish({ ...STORY, updates: update, title: 'Evakuasi korban gempa Cianjur selesai', summary: 'Tim SAR menutup operasi pencarian.' });
    const secondCopies = await copiesOf(second, stayed.length + newcomers.length);
    for (const email of stayed) {
      const m = secondCopies.get(email)!;
      expect([email, m.parsed.inReplyTo, refs(m)]).toEqual([email, updateId(email), [rootId(email), updateId(email)]]);
      expect(m.parsed.subject).toBe('Gempa M5,6 guncang Cianjur');
    }
    // The newcomers' story started with the first update: they thread under that.
    for (const email of newcomers) {
      const m = secondCopies.get(email)!;
      expect([email, m.parsed.inReplyTo, refs(m)]).toEqual([email, updateId(email), [updateId(email)]]);
      expect(m.parsed.subject).toBe('Gempa M5,6 guncang Cianjur');
    }
    expect(await alertStatus(k, second)).toMatchObject({ updates: update, threadRoot: root, sent: stayed.length + newcomers.length });
  });

  test('an update of a missing alert is a 422, of one not sent yet a 409; the same update twice is a duplicate', async () => {
    const missing = await postJson(`${k.baseUrl}/api/articles`, { title: 'Pembaruan', body: 'Isi.', updates: '987654' }, bearer);
    expect([missing.status, missing.body.error.code]).toEqual([422, 'update_target_not_found']);
    const bad = await postJson(`${k.baseUrl}/api/articles`, { title: 'Pembaruan', body: 'Isi.', updates: 'satu' }, bearer);
    expect([bad.status, bad.body.error.code]).toEqual([400, 'validation_failed']);

    const later = await postJson(`${k.baseUrl}/api/articles`, { id: 'nanti', title: 'Nanti', body: 'Isi.', publishAt: new Date(Date.now() + 3600_000).toISOString() }, bearer);
    const early = await postJson(`${k.baseUrl}/api/articles`, { title: 'Terlalu dini', body: 'Isi.', updates: later.body.alertId }, bearer);
    expect([early.status, early.body.error.code]).toEqual([409, 'update_target_scheduled']);
    await postJson(`${k.baseUrl}/api/alerts/${later.body.alertId}/cancel`, '', bearer);

    const target = await publish({ id: 'dasar', title: 'Dasar' });
    const body = { id: 'dasar', title: 'Dasar diperbarui', body: 'Isi baru.', updates: target };
    const once = await postJson(`${k.baseUrl}/api/articles`, body, bearer);
    const twice = await postJson(`${k.baseUrl}/api/articles`, body, bearer);
    expect(once.status).toBe(202);
    expect(twice.body).toMatchObject({ status: 'duplicate', alertId: once.body.alertId });
  });
});
