import { postForm } from '../helpers/forms';
import { bearer, linkIn, postJson, waitUntil, type Kilat } from '../helpers/kilat';
import { waitForDrained, waitForJob } from '../helpers/queue-waits';
import { useKilat } from '../helpers/use-kilat';

describe('daily digest option', () => {
  const k = useKilat();

  // As a browser sends it: after loading the page, with its CSRF cookie and field.
  const form = (url: string, body: Record<string, string | string[]>) => postForm(url, body);
  const nonConfirmation = (email: string) => k.smtp.to(email).filter((m) => !/Konfirmasi|Confirm/.test(m.parsed.subject ?? ''));

  test('digest readers get no alerts, then one digest with every story of the day (breaking or not), once', async () => {
    for (const email of ['kilat@contoh.co.id', 'harian@contoh.co.id']) {
      await postJson(`${k.baseUrl}/api/subscriptions`, { email, locale: 'id' });
    }
    await k.smtp.waitFor(2);
    for (const email of ['kilat@contoh.co.id', 'harian@contoh.co.id']) await fetch(linkIn(k.smtp.to(email)[0]!.parsed.text, 'confirm'));

    // harian chooses the daily digest on the preferences page (a plain form post)
    const sub = (await k.api.core.subscribers.findByEmail('harian@contoh.co.id'))!;
    const prefs = k.api.core.links.preferences(sub.id);
    const page = await (await fetch(prefs)).text();
    expect(page).toContain('name="frequency" value="breaking" checked');
    const saved = await form(prefs, { locale: 'id', frequency: 'digest' });
    expect(await saved.text()).toContain('name="frequency" value="digest" checked');

    // a breaking story: only the every-alert reader gets it now
    const breaking = await postJson(`${k.baseUrl}/api/articles`, { title: 'Gempa guncang Maluku', body: 'Gempa magnitudo 6,1.', locale: 'id' }, bearer);
    await waitUntil(async () => (await k.api.core.alerts.status(breaking.body.alertId))?.state === 'completed', 10_000, 'alert done');
    expect((await k.api.core.alerts.status(breaking.body.alertId))).toMatchObject({ sent: 1, total: 1 });
    // a non-breaking story: no alert email at all
    const feature = await postJson(`${k.baseUrl}/api/articles`, { title: 'Resep rendang hemat', body: 'Cara memasak rendang.', locale: 'id', breaking: false }, bearer);
    expect(feature.status).toBe(202);
    await waitUntil(async () => (await k.api.core.alerts.status(feature.body.alertId))?.state === 'completed', 10_000, 'digest-only alert settled');
    expect((await k.api.core.alerts.status(feature.body.alertId))).toMatchObject({ sent: 0, total: 0 });
    // Both alerts completed and every queue is empty: whatever they were to send is at the SMTP server.
    await waitForDrained(k);
    expect(nonConfirmation('kilat@contoh.co.id').map((m) => m.parsed.subject)).toEqual(['Gempa guncang Maluku']);
    expect(nonConfirmation('harian@contoh.co.id')).toHaveLength(0);

    // a story scheduled for later is not news yet: the digest leaves it out
    const later = await postJson(`${k.baseUrl}/api/articles`, { title: 'Sidang putusan nanti sore', body: 'Belum terjadi.', locale: 'id', publishAt: new Date(Date.now() + 3600_000).toISOString() }, bearer);
    expect(later.body.status).toBe('scheduled');

    // the daily tick (normally at DIGEST_TIME): harian gets one digest with both stories
    await k.api.core.queues.digest.add('digest', {});
    const [digest] = await waitUntil(async () => (nonConfirmation('harian@contoh.co.id').length ? nonConfirmation('harian@contoh.co.id') : undefined), 10_000, 'digest');
    expect(digest!.parsed.subject).toMatch(/^Rangkuman berita Kilat, /);
    expect(digest!.parsed.text).toContain('Gempa guncang Maluku');
    expect(digest!.parsed.text).toContain('Resep rendang hemat');
    expect(digest!.parsed.text).not.toContain('Sidang putusan nanti sore');
    // Cancelled: that drops its delayed fan-out job too, so the queues can drain below.
    await postJson(`${k.baseUrl}/api/alerts/${later.body.alertId}/cancel`, '', bearer);
    expect(digest!.parsed.html).toContain('RANGKUMAN HARIAN');
    expect(digest!.raw).toMatch(/^List-Unsubscribe: .*\/unsubscribe\?token=/m);
    // its unsubscribe link works like an alert's
    const un = await fetch(linkIn(digest!.parsed.text, 'unsubscribe'));
    expect(un.status).toBe(200);

    // a second tick the same day sends nobody a second digest; the every-alert reader never gets one
    // The second tick has run to its end: a second digest would be at the SMTP server by now.
    await waitForJob(k.api.core.queues.digest, await k.api.core.queues.digest.add('digest', {}));
    await waitForDrained(k);
    expect(nonConfirmation('harian@contoh.co.id')).toHaveLength(1);
    expect(nonConfirmation('kilat@contoh.co.id')).toHaveLength(1);
  });
  test('stories full of placeholders and markers cannot pull a reader\'s links into the digest; it still goes out', async () => {
    await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'harian.dua@contoh.co.id', locale: 'id' });
    const confirm = await waitUntil(async () => k.smtp.to('harian.dua@contoh.co.id')[0], 10_000, 'confirmation');
    await fetch(linkIn(confirm.parsed.text, 'confirm'));
    const sub = (await k.api.core.subscribers.findByEmail('harian.dua@contoh.co.id'))!;
    const prefs = k.api.core.links.preferences(sub.id);
    await form(prefs, { locale: 'id', frequency: 'digest' });
    const hostile = '%%PREFERENCES_URL%% {{slot "UNSUBSCRIBE_URL"}} kilat-recipient@placeholder.invalid kilat-header-1';
    const r = await postJson(
      `${k.baseUrl}/api/articles`,
      { title: `Cerita ${hostile}`, summary: hostile, body: hostile, url: `https://evil.example/p?u=${hostile}`, locale: 'id', breaking: false },
      bearer,
    );
    await waitUntil(async () => (await k.api.core.alerts.status(r.body.alertId))?.state === 'completed', 10_000, 'digest-only story settled');
    await k.api.core.queues.digest.add('digest', {});
    const [digest] = await waitUntil(async () => (nonConfirmation('harian.dua@contoh.co.id').length ? nonConfirmation('harian.dua@contoh.co.id') : undefined), 10_000, 'digest');
    const text = digest!.parsed.text ?? '';
    const html = digest!.parsed.html || '';
    expect(text).toContain(`Cerita ${hostile}`);
    expect(text.split('token=').length - 1).toBe(2);
    expect(html.split('token=').length - 1).toBe(2);
    expect(text).toContain(`: ${k.api.core.links.unsubscribe(sub.id)}`);
    expect(text).toContain(`: ${prefs}`);
    expect(html).not.toContain(`evil.example/p?u=${prefs}`);
  });
});
