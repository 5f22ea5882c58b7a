import fs from 'node:fs';
import path from 'node:path';
import { accessibilityBasics, firstFocus, launchBrowser, screenshot } from '../helpers/browser';
import { bearer, linkIn, postJson, PUBLISHER_TOKEN, waitUntil } from '../helpers/kilat';
import { useKilat } from '../helpers/use-kilat';

declare const document: any;
declare const window: any;

const seed = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'seed-article.json'), 'utf8'));

// A phone without JavaScript, and a desktop with it: the pages must work and read well on both.
const RUNS = [
  { width: 375, height: 740, js: false, email: 'ponsel@contoh.co.id' },
  { width: 1200, height: 900, js: true, email: 'desktop@contoh.co.id' },
];

describe('subscriber pages and the alert email in a real browser', () => {
  const k = useKilat();

  const expectAccessible = async (page: import('playwright-core').Page, where: string) => {
    const a11y = await accessibilityBasics(page);
    expect({ where, ...a11y }).toEqual({ where, lang: expect.stringMatching(/^(id|en)$/), title: expect.stringMatching(/\S/), unlabelled: [], lowContrast: [], fitsWidth: true });
  };

  test.each(RUNS)('sign-up → confirm → alert email → preferences → unsubscribe at $width px (JavaScript: $js)', async ({ width, height, js, email }) => {
    const browser = await launchBrowser({ width, height, javaScriptEnabled: js });
    try {
      const page = await browser.context.newPage();
      await page.goto(`${k.baseUrl}/`);
      await expectAccessible(page, 'sign-up');
      const focus = await firstFocus(page);
      expect(focus.outline).not.toMatch(/^none/);
      await screenshot(page, `signup-${width}`);

      await page.getByLabel(/Alamat email/).fill(email);
      await page.getByLabel('Dunia').check();
      await page.getByRole('button', { name: /Berlangganan/ }).click();
      await page.waitForLoadState();
      expect(await page.locator('h1').textContent()).toMatch(/Periksa kotak masuk/);
      await expectAccessible(page, 'check inbox');
      await screenshot(page, `check-inbox-${width}`);

      const confirmMail = await waitUntil(async () => k.smtp.to(email)[0], 10_000, 'confirmation email');
      await page.goto(linkIn(confirmMail.parsed.text, 'confirm'));
      expect(await page.locator('h1').textContent()).toMatch(/Langganan dikonfirmasi/);
      await expectAccessible(page, 'confirmed');
      await screenshot(page, `confirmed-${width}`);

      // an alert arrives; its HTML is what a phone or desktop mail client shows
      const published = await postJson(`${k.baseUrl}/api/articles`, { ...seed, id: `browser-${width}`, url: `${seed.url}?v=${width}` }, bearer);
      expect(published.status).toBe(202);
      const alert = await waitUntil(async () => k.smtp.to(email)[1], 10_000, 'alert email');
      const emailPage = await browser.context.newPage();
      await emailPage.setContent(String(alert.parsed.html));
      expect(await emailPage.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
      expect(await emailPage.getByText('Baca selengkapnya').isVisible()).toBe(true);
      await screenshot(emailPage, `alert-email-${width}`);
      await emailPage.close();

      await page.goto(linkIn(alert.parsed.text, 'preferences'));
      await expectAccessible(page, 'preferences');
      await screenshot(page, `preferences-${width}`);
      await page.getByLabel('Ekonomi').check();
      await page.getByRole('button', { name: 'Simpan' }).click();
      await page.waitForLoadState();
      expect(await page.getByRole('status').textContent()).toMatch(/disimpan/i);
      expect((await k.api.core.subscribers.findByEmail(email))?.topics.sort()).toEqual(['dunia', 'ekonomi']);
      await screenshot(page, `preferences-saved-${width}`);

      await page.goto(linkIn(alert.parsed.text, 'unsubscribe'));
      await expectAccessible(page, 'unsubscribe');
      await screenshot(page, `unsubscribe-${width}`);
      await page.getByRole('button', { name: /berhenti berlangganan/i }).click();
      await page.waitForLoadState();
      expect(await page.locator('h1').textContent()).toMatch(/berhenti berlangganan/i);
      await expectAccessible(page, 'unsubscribed');
      await screenshot(page, `unsubscribed-${width}`);
      expect((await k.api.core.subscribers.findByEmail(email))?.status).toBe('unsubscribed');
    } finally {
      await browser.close();
    }
  });

  test.each(RUNS)('/admin at $width px (JavaScript: $js): sign in, preview, test send, publish, follow the delivery curve', async ({ width, height, js }) => {
    const browser = await launchBrowser({ width, height, javaScriptEnabled: js });
    const editor = `redaksi-${width}@kilat.example`;
    try {
      const page = await browser.context.newPage();
      await page.goto(`${k.baseUrl}/admin`);
      expect(new URL(page.url()).pathname).toBe('/admin/login');
      await expectAccessible(page, 'admin login');
      await page.getByLabel('API key').fill('wrong-token-wrong-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect(await page.getByRole('alert').textContent()).toContain('not a valid API key');
      await page.getByLabel('API key').fill(PUBLISHER_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect(new URL(page.url()).pathname).toBe('/admin');
      const cookie = (await browser.context.cookies()).find((c) => c.name === 'kilat_admin')!;
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
      await expectAccessible(page, 'admin dashboard');
      await screenshot(page, `admin-${width}`);

      await page.getByLabel('Headline').fill(`Banjir rob di pesisir utara Jakarta (${width})`);
      await page.getByLabel(/^Story/).fill('Air laut pasang merendam permukiman di Muara Angke.\n\nWarga diminta waspada hingga Jumat.');
      await page.getByLabel('World').check();
      await page.getByRole('button', { name: 'Preview' }).click();
      expect(await page.locator('iframe').count()).toBe(2);
      // the preview frames render the email itself (they load after the page)
      await page.frameLocator('iframe[title="Email preview (id)"]').getByText('Air laut pasang').filter({ visible: true }).first().waitFor({ state: 'visible', timeout: 10_000 });
      await page.frameLocator('iframe[title="Email preview (en)"]').getByText('BREAKING NEWS').filter({ visible: true }).first().waitFor({ state: 'visible', timeout: 10_000 });
      await expectAccessible(page, 'admin preview');
      await screenshot(page, `admin-preview-${width}`);

      await page.getByLabel('Test address').fill(editor);
      await page.getByRole('button', { name: 'Send test' }).click();
      expect(await page.getByRole('status').textContent()).toContain(`Test copy sent to ${editor}`);
      const test = await waitUntil(async () => k.smtp.to(editor)[0], 10_000, 'test copy');
      expect(test.parsed.subject).toBe(`[TEST] Banjir rob di pesisir utara Jakarta (${width})`);

      await page.getByRole('button', { name: 'Publish alert' }).click();
      expect(new URL(page.url()).pathname).toMatch(/^\/admin\/alerts\/\d+$/);
      // While it sends, the page refreshes itself (a meta refresh, so also without JavaScript); the test
      // waits for that rather than reloading, which raced the refresh's own navigation in CI.
      await page.locator('.state', { hasText: 'completed' }).first().waitFor({ timeout: 15_000 });
      // only the editor's test copy: every browser-test reader has unsubscribed by now
      expect(await page.locator('dd').filter({ hasText: /sent, .* failed/ }).textContent()).toMatch(/0 sent/);
      await expectAccessible(page, 'admin alert');
      await screenshot(page, `admin-alert-${width}`);

      // the dashboard lists it with its progress
      await page.goto(`${k.baseUrl}/admin`);
      expect(await page.getByRole('link', { name: new RegExp(`Banjir rob .*\\(${width}\\)`) }).count()).toBe(1);

      if (js) {
        await page.goto(`${k.baseUrl}/admin/queues/queue/alert-send`);
        await page.getByText('alert-send').first().waitFor({ timeout: 15_000 });
        await page.getByText('Loading').waitFor({ state: 'hidden', timeout: 15_000 });
        await screenshot(page, `admin-queues-${width}`, false);
      }
      // signed out, the board is closed again
      await page.goto(`${k.baseUrl}/admin`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      const res = await fetch(`${k.baseUrl}/admin/queues/api/queues`, { redirect: 'manual' });
      expect([303, 401]).toContain(res.status);
    } finally {
      await browser.close();
    }
  });

  test('an alert with recipients shows a delivery curve', async () => {
    await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'kurva@contoh.co.id', locale: 'id' });
    const m = await waitUntil(async () => k.smtp.to('kurva@contoh.co.id')[0], 10_000, 'confirmation');
    await fetch(linkIn(m.parsed.text, 'confirm'));
    const published = await postJson(`${k.baseUrl}/api/articles`, { ...seed, id: 'curve', url: `${seed.url}?curve` }, bearer);
    const id = published.body.alertId;
    await waitUntil(async () => (await k.api.core.alerts.status(id))?.state === 'completed', 10_000, 'completed');
    const browser = await launchBrowser({ width: 1200, height: 900 });
    try {
      const page = await browser.context.newPage();
      await page.setExtraHTTPHeaders(bearer);
      await page.goto(`${k.baseUrl}/admin/alerts/${id}`);
      await waitUntil(async () => {
        await page.reload();
        return (await page.locator('svg polyline').count()) === 1;
      }, 10_000, 'curve drawn');
      expect(await page.locator('figcaption').textContent()).toMatch(/1 sent over/);
      expect(await page.getByText('Publish to 90% sent').count()).toBe(1);
      await screenshot(page, 'admin-alert-curve-1200');
    } finally {
      await browser.close();
    }
  });
});
