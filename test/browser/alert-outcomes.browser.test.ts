import { accessibilityBasics, launchBrowser, screenshot } from '../helpers/browser';
import { postJson, PUBLISHER_TOKEN, type Kilat } from '../helpers/kilat';
import { oneClick, publish, waitForAlert } from '../helpers/lifecycle';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { useKilat } from '../helpers/use-kilat';

const SECRET = 'bounce-webhook-secret-0123456789';

// The /admin alert page after real readers acted on a real alert: what an editor sees on a phone and a desktop.
describe('/admin alert page: what readers did, in a real browser', () => {
  const k: Kilat = useKilat({ env: { CLICK_TRACKING: 'on', BOUNCE_WEBHOOK_SECRET: SECRET } }, async (kilat) => {
    await seedConfirmed(kilat.api.core.subscribers, 6, { locale: 'en', prefix: 'reader', domain: 'contoh.co.id' });
  });
  let alertId: string;

  beforeAll(async () => {
    alertId = await publish(k, { title: 'Banjir rob merendam pesisir utara Jakarta', url: 'https://berita.example/banjir-rob', locale: 'en' });
    await waitForAlert(k, alertId);
    const copy = (i: number) => k.smtp.to(`reader${i}@contoh.co.id`)[0]!;
    const readMore = (i: number) => /Read more: (\S+)/.exec(copy(i).parsed.text!)![1]!;
    // reader0 leaves through the one-click header; reader1 complains; readers 2 and 3 read on (3 twice)
    const header = /<(https?:\/\/[^>]+)>/.exec(copy(0).parsed.headerLines.find((l) => l.key === 'list-unsubscribe')!.line.replace(/\r?\n[ \t]+/g, ''))![1]!;
    expect((await oneClick(header)).status).toBe(200);
    const complaint = await postJson(`${k.baseUrl}/api/webhooks/bounces`, { email: 'reader1@contoh.co.id', type: 'complaint', messageId: copy(1).parsed.messageId }, { authorization: `Bearer ${SECRET}` });
    expect(complaint.status).toBe(200);
    for (const i of [2, 3, 3]) expect((await fetch(readMore(i), { redirect: 'manual' })).status).toBe(302);
  });

  test.each([
    { width: 375, height: 800 },
    { width: 1200, height: 900 },
  ])('at $width px the outcomes read at a glance, fit the screen and pass the basic accessibility checks', async ({ width, height }) => {
    const browser = await launchBrowser({ width, height, javaScriptEnabled: false });
    try {
      const page = await browser.context.newPage();
      await page.goto(`${k.baseUrl}/admin/alerts/${alertId}`);
      await page.getByLabel('API key').fill(PUBLISHER_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect(new URL(page.url()).pathname).toBe(`/admin/alerts/${alertId}`);
      const section = page.getByRole('region', { name: 'What readers did' });
      const figure = async (id: string) => (await section.locator(`#${id} strong`).textContent())?.trim();
      expect(await figure('outcome-unsubscribed')).toBe('1');
      expect(await figure('outcome-complained')).toBe('1');
      expect(await figure('outcome-bounced')).toBe('0');
      expect(await figure('outcome-unique-clicks')).toBe('2');
      expect(await figure('outcome-clicks')).toBe('3');
      expect(await section.locator('#outcome-unique-clicks').textContent()).toContain('33.3% of sent');
      expect(await section.textContent()).toContain('Opens are not counted');
      const a11y = await accessibilityBasics(page);
      expect(a11y).toEqual({ lang: 'en', title: expect.stringMatching(/Alert/), unlabelled: [], lowContrast: [], fitsWidth: true });
      // the tiles sit side by side on a desktop and wrap on a phone, each one whole
      const boxes = await section.locator('.tile').evaluateAll((els: any[]) => els.map((e) => e.getBoundingClientRect()).map((r: any) => ({ top: Math.round(r.top), right: r.right })));
      expect(boxes.every((b) => b.right <= width)).toBe(true);
      const rows = new Set(boxes.map((b) => b.top)).size;
      if (width >= 1200) expect(rows).toBe(1);
      else expect(rows).toBeGreaterThan(1);
      await screenshot(page, `admin-alert-outcomes-${width}`);
    } finally {
      await browser.close();
    }
  });
});
