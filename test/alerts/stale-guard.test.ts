import { publish, subscribeConfirmed, waitForAlert } from '../helpers/lifecycle';
import { waitForDrained } from '../helpers/queue-waits';
import { useKilat } from '../helpers/use-kilat';

describe('stale-alert guard (ALERT_MAX_AGE)', () => {
  const k = useKilat({ env: { ALERT_MAX_AGE: '6h' } }, async (kilat) => {
    await subscribeConfirmed(kilat, 'satu@contoh.co.id');
    await subscribeConfirmed(kilat, 'dua@contoh.co.id');
    await subscribeConfirmed(kilat, 'tiga@contoh.co.id', { topics: ['olahraga'] });
  });

  test('an article published 7 hours ago is not sent; the alert counts the recipients as skipped and says why', async () => {
    const before = k.smtp.messages.length;
    const publishedAt = new Date(Date.now() - 7 * 3600_000).toISOString();
    const alertId = await publish(k, { title: 'Kabar lama', publishedAt, topics: ['politik'] });
    const status = await waitForAlert(k, alertId);
    // tiga only follows sport: not a recipient of a politics alert, so not counted at all
    expect(status).toMatchObject({ state: 'completed', total: 2, sent: 0, failed: 0, skipped: 2 });
    expect(status.reason).toMatch(/^stale: the article \(published .+\) was 25\d\d\d s old when its batch was due, more than ALERT_MAX_AGE \(21600 s\); not sent$/);
    // The alert completed and nothing is left in any queue: a message it sent would be here.
    await waitForDrained(k);
    expect(k.smtp.messages.length).toBe(before);
  });

  test('a fresh article (5 h old, or with no publishedAt) is sent as usual and has no reason', async () => {
    const before = k.smtp.messages.length;
    const recent = await publish(k, { title: 'Kabar baru', publishedAt: new Date(Date.now() - 5 * 3600_000).toISOString() });
    const status = await waitForAlert(k, recent);
    expect(status).toMatchObject({ sent: 3, skipped: 0 });
    expect(status.reason).toBeUndefined();
    const undated = await publish(k, { title: 'Kabar tanpa tanggal' });
    expect(await waitForAlert(k, undated)).toMatchObject({ sent: 3 });
    expect(k.smtp.messages.length).toBe(before + 6);
  });
});
