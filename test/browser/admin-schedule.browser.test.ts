import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { accessibilityBasics, launchBrowser } from '../helpers/browser';
import { bearer, postJson, PUBLISHER_TOKEN, waitUntil } from '../helpers/kilat';
import { alertStatus } from '../helpers/lifecycle';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { useKilat } from '../helpers/use-kilat';

// A phone without JavaScript and a desktop with it, as the other /admin checks.
const RUNS = [
  { width: 375, height: 740, js: false },
  { width: 1200, height: 900, js: true },
];
/** Screenshots go to a temporary directory (printed), not into the repository. */
const SHOTS = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-admin-schedule-'));

/** A time as an editor in Jakarta types it: minutes and the +07:00 offset. */
const jakarta = (ms: number) => `${new Date(ms + 7 * 3600_000).toISOString().slice(0, 16)}+07:00`;

describe('/admin: scheduling an alert and updating one, in a real browser', () => {
  let reader: string;
  const k = useKilat({}, async (kilat) => {
    reader = (await seedConfirmed(kilat.api.core.subscribers, 1, { domain: 'redaksi.example' }))[0]!;
  });
  afterAll(() => console.log(`admin scheduling screenshots: ${SHOTS}`));

  const expectAccessible = async (page: Page, where: string) => {
    const a11y = await accessibilityBasics(page);
    expect({ where, ...a11y }).toEqual({ where, lang: expect.stringMatching(/^(id|en)$/), title: expect.stringMatching(/\S/), unlabelled: [], lowContrast: [], fitsWidth: true });
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const detail = async (page: Page, term: string) => (await page.locator('dt', { hasText: term }).locator('xpath=following-sibling::dd[1]').textContent())?.trim();

  test.each(RUNS)('at $width px (JavaScript: $js): schedule, reschedule (a past time refused), cancel; then "Update this alert"', async ({ width, height, js }) => {
    const browser = await launchBrowser({ width, height, javaScriptEnabled: js });
    try {
      const page = await browser.context.newPage();
      await page.goto(`${k.baseUrl}/admin`);
      await page.getByLabel('API key').fill(PUBLISHER_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect(new URL(page.url()).pathname).toBe('/admin');

      // Schedule: the compose form with a time an hour ahead.
      const at = Date.now() + 3600_000;
      await page.getByLabel('Headline').fill(`Sidang putusan MK pukul 14.00 (${width})`);
      await page.getByLabel('Story (blank lines separate paragraphs)').fill('Mahkamah Konstitusi membacakan putusan.\n\nSidang terbuka untuk umum.');
      await page.getByLabel('Send at (optional; empty sends now)').fill(jakarta(at));
      await page.getByRole('button', { name: 'Publish alert' }).click();
      expect(new URL(page.url()).pathname).toMatch(/^\/admin\/alerts\/\d+$/);
      const id = new URL(page.url()).pathname.split('/').pop()!;
      expect(await page.locator('.state').textContent()).toBe('scheduled');
      const minute = new Date(Math.floor(at / 60_000) * 60_000).toISOString();
      expect(await detail(page, 'Scheduled for')).toBe(minute);
      expect(await page.locator('#update-alert').count()).toBe(0);
      await expectAccessible(page, 'scheduled alert');
      await shot(page, `scheduled-${width}`);

      // A time in the past is refused on the page, and the alert keeps its time.
      await page.locator('#reschedule').getByLabel('Send at').fill(jakarta(Date.now() - 3600_000));
      await page.getByRole('button', { name: 'Reschedule' }).click();
      expect(await page.getByRole('alert').textContent()).toMatch(/is not in the future/);
      expect(await detail(page, 'Scheduled for')).toBe(minute);
      expect((await alertStatus(k, id)).publishAt).toBe(minute);
      await expectAccessible(page, 'reschedule refused');
      await shot(page, `reschedule-refused-${width}`);
      const later = Math.floor((at + 3600_000) / 60_000) * 60_000;
      await page.locator('#reschedule').getByLabel('Send at').fill(jakarta(later));
      await page.getByRole('button', { name: 'Reschedule' }).click();
      expect(await detail(page, 'Scheduled for')).toBe(new Date(later).toISOString());

      await page.getByRole('button', { name: 'Cancel alert' }).click();
      expect(await page.locator('.state').textContent()).toBe('cancelled');
      expect((await alertStatus(k, id)).state).toBe('cancelled');

      // An alert that went out gets "Update this alert": the form comes prefilled as its update.
      const title = `Gempa di lepas pantai Banten (${width})`;
      const original = (await postJson(`${k.baseUrl}/api/articles`, { title, body: 'Gempa magnitudo 5,1.\n\nTidak berpotensi tsunami.' }, bearer)).body.alertId as string;
      await waitUntil(async () => (await alertStatus(k, original)).state === 'completed', 30_000, 'the original sent');
      await page.goto(`${k.baseUrl}/admin/alerts/${original}`);
      await expectAccessible(page, 'sent alert');
      await shot(page, `sent-alert-${width}`);
      await page.getByRole('link', { name: 'Update this alert' }).click();
      expect(await page.locator('#compose-h').textContent()).toBe(`Update of alert ${original}`);
      expect(await page.locator('#update-note').textContent()).toContain(title);
      expect(await page.getByLabel('Headline').inputValue()).toBe(title);
      await page.getByLabel('Headline').fill(`BMKG: gempa Banten M5,3 setelah pemutakhiran (${width})`);
      await page.getByLabel('Summary (optional)').fill('BMKG memutakhirkan kekuatan gempa menjadi M5,3.');
      await page.getByLabel('Story (blank lines separate paragraphs)').fill('BMKG memutakhirkan data.\n\nTidak ada laporan kerusakan.');
      // The preview shows the update as the story's readers get it: under the first subject, with the banner.
      await page.getByRole('button', { name: 'Preview' }).click();
      expect(await page.locator('#preview-h + .previews h3').first().textContent()).toBe(`Bahasa Indonesia: ${title}`);
      expect(await page.locator('.previews pre').first().textContent()).toMatch(/^PEMBARUAN\n/);
      expect(await page.locator('#compose-h').textContent()).toBe(`Update of alert ${original}`);
      await expectAccessible(page, 'update form');
      await shot(page, `update-form-${width}`);
      await page.getByRole('button', { name: 'Publish update' }).click();
      const update = new URL(page.url()).pathname.split('/').pop()!;
      expect(update).not.toBe(original);
      expect(await detail(page, 'Update of')).toBe(`alert ${original}`);
      await waitUntil(async () => (await alertStatus(k, update)).state === 'completed', 30_000, 'the update sent');

      // The reader got it threaded under their copy of the original.
      const copies = await waitUntil(async () => {
        const mine = k.smtp.to(reader).filter((m) => m.parsed.messageId?.match(new RegExp(`\\.a(${original}|${update})\\.`)));
        return mine.length === 2 ? mine : undefined;
      }, 10_000, 'both copies at the SMTP server');
      const [first, second] = copies.sort((a, b) => (a.parsed.messageId!.includes(`.a${original}.`) ? -1 : 1) - (b.parsed.messageId!.includes(`.a${original}.`) ? -1 : 1));
      expect(second!.parsed.inReplyTo).toBe(first!.parsed.messageId);
      expect(second!.parsed.subject).toBe(title);
      await page.goto(`${k.baseUrl}/admin/alerts/${update}`);
      await shot(page, `update-alert-${width}`);
    } finally {
      await browser.close();
    }
  });
});
