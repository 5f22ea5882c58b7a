import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { accessibilityBasics, launchBrowser } from '../helpers/browser';
import { PUBLISHER_TOKEN, type Kilat } from '../helpers/kilat';
import { useKilat } from '../helpers/use-kilat';
import type { UnsubscribeHow } from '../../src/subscribers/subscriber-store';

const DAY = 86_400_000;
const HOWS: UnsubscribeHow[] = ['one-click', 'footer', 'preferences', 'newsroom'];
const TOPICS = [['politik'], ['ekonomi', 'dunia'], [], ['olahraga'], ['teknologi', 'politik']];

/**
 * Thirty days of a growing list through the store's own scripts, each event on its own day
 * (the scripts count it on the UTC day of the time they are given).
 */
async function seedHistory(k: Kilat): Promise<void> {
  const store = k.api.core.subscribers;
  const now = Date.now();
  let n = 0;
  for (let d = 29; d >= 0; d--) {
    const at = now - d * DAY;
    const signups = 3 + ((29 - d) % 5) + Math.floor((29 - d) / 6);
    for (let i = 0; i < signups; i++) {
      n++;
      const { id } = await store.signup({ email: `pembaca${n}@contoh.co.id`, locale: n % 4 === 0 ? 'en' : 'id', topics: TOPICS[n % TOPICS.length]! }, at);
      if (n % 5 !== 0) await store.confirm(id, (await store.get(id))!.nonce, at + 60_000);
      if (n % 9 === 0) await store.setStatus(id, 'unsubscribed', { how: HOWS[(n / 9) % HOWS.length]!, now: at + 120_000 });
      if (n % 23 === 0) await store.setStatus(id, 'bounced', { now: at + 180_000 });
      if (n % 41 === 0) await store.setStatus(id, 'complained', { now: at + 240_000 });
    }
  }
  const { id } = await store.signup({ email: 'ani.putri@contoh.co.id', locale: 'id', topics: ['politik', 'dunia'] }, now - 20 * DAY);
  await store.confirm(id, (await store.get(id))!.nonce, now - 20 * DAY + 300_000);
  await store.countReceived(store.shardOfEmail('ani.putri@contoh.co.id'), [id, id, id]);
  await store.recordSoftBounces(store.shardOfEmail('ani.putri@contoh.co.id'), [id], 3, now - 2 * DAY);
}

describe('/admin/subscribers in a real browser', () => {
  const k = useKilat({ workers: false }, seedHistory);
  const shots = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-audience-shots-'));
  const taken: string[] = [];
  afterAll(() => console.log(`audience screenshots:\n${taken.join('\n')}`));

  const shot = async (page: Page, name: string) => {
    const file = path.join(shots, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    taken.push(file);
  };
  const expectReadable = async (page: Page, where: string) => {
    const a11y = await accessibilityBasics(page);
    expect({ where, ...a11y }).toEqual({ where, lang: 'en', title: expect.stringMatching(/Audience/), unlabelled: [], lowContrast: [], fitsWidth: true });
  };

  test.each([
    { width: 375, height: 800 },
    { width: 1200, height: 900 },
  ])('figures, chart and a lookup with its actions at $width px', async ({ width, height }) => {
    const browser = await launchBrowser({ width, height });
    try {
      const page = await browser.context.newPage();
      await page.goto(`${k.baseUrl}/admin/subscribers`);
      // not signed in: the sign-in form, then back here
      await page.getByLabel('API key').fill(PUBLISHER_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${k.baseUrl}/admin/subscribers`);
      await expectReadable(page, 'audience');

      // the totals on the page are the counters' (checked against the API)
      const api = (await (await fetch(`${k.baseUrl}/api/stats/audience?days=30`, { headers: { authorization: `Bearer ${PUBLISHER_TOKEN}` } })).json()) as any;
      expect(await page.locator('[data-status="confirmed"]').textContent()).toBe(api.totals.byStatus.confirmed.toLocaleString('en-US'));
      expect(await page.locator('[data-locale="en"]').textContent()).toBe(String(api.totals.byLocale.en));
      const signups = api.days.reduce((n: number, d: any) => n + d.signups, 0);
      expect(signups).toBeGreaterThan(100);
      expect(await page.locator('[data-series="signups"]').textContent()).toBe(signups.toLocaleString('en-US'));
      expect(await page.locator('#daily-h').textContent()).toBe('Last 30 days');
      await shot(page, `audience-${width}`);

      await page.getByRole('link', { name: '90 days' }).click();
      await page.waitForURL(/days=90/);
      expect(await page.locator('#daily-h').textContent()).toBe('Last 90 days');
      await expectReadable(page, 'audience 90 days');

      // a lookup: the address goes in a POST body, never into the address bar
      await page.getByLabel('Exact email address').fill('Ani.Putri@contoh.co.id');
      await page.getByRole('button', { name: 'Look up' }).click();
      await page.waitForLoadState();
      expect(page.url()).toBe(`${k.baseUrl}/admin/subscribers/lookup`);
      expect(await page.locator('#subscriber-h').textContent()).toBe('ani.putri@contoh.co.id');
      expect(await page.locator('#subscriber-status').textContent()).toBe('confirmed');
      expect(await page.locator('#subscriber-received').textContent()).toBe('3');
      await expectReadable(page, 'lookup');
      await shot(page, `audience-lookup-${width}`);

      // a near miss names nobody
      await page.getByLabel('Exact email address').fill('ani.putri@contoh.co');
      await page.getByRole('button', { name: 'Look up' }).click();
      await page.waitForLoadState();
      expect(await page.locator('#lookup-message').textContent()).toMatch(/No subscriber/);
      expect(await page.locator('#subscriber').count()).toBe(0);

      if (width === 1200) {
        // the unsubscribe button, then delete with its confirmation step
        await page.getByLabel('Exact email address').fill('ani.putri@contoh.co.id');
        await page.getByRole('button', { name: 'Look up' }).click();
        await page.getByRole('button', { name: 'Unsubscribe' }).click();
        await page.waitForLoadState();
        expect(await page.locator('#subscriber-status').textContent()).toBe('unsubscribed');
        await page.getByRole('button', { name: 'Delete…' }).click();
        await page.waitForLoadState();
        await shot(page, `audience-delete-confirm-${width}`);
        await page.getByRole('button', { name: 'Yes, delete' }).click();
        await page.waitForLoadState();
        expect(await page.getByRole('status').textContent()).toMatch(/Deleted/);
        expect(await k.api.core.subscribers.findByEmail('ani.putri@contoh.co.id')).toBeUndefined();
      }
    } finally {
      await browser.close();
    }
  });
});
