import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startKilat, type Kilat } from '../helpers/kilat';
import { subscribeConfirmed } from '../helpers/lifecycle';
import { createKeys } from '../../src/keys';
import { SubscriberStore } from '../../src/subscribers/subscriber-store';

describe('preferences page in a real browser', () => {
  let k: Kilat;
  let context: BrowserContext;
  let profile: string;
  beforeAll(async () => {
    k = await startKilat();
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-chromium-'));
    // A fresh profile directory per run (Playwright passes it as --user-data-dir).
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      acceptDownloads: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await context?.close();
    await k.stop();
    fs.rmSync(profile, { recursive: true, force: true });
  });

  test('pause, resume, change language and topics, download the data, delete it', async () => {
    await subscribeConfirmed(k, 'wati@contoh.co.id');
    const store = new SubscriberStore({ redis: k.redis.client, keys: createKeys(k.config.keyPrefix) });
    const sub = (await store.findByEmail('wati@contoh.co.id'))!;
    const page = await context.newPage();
    await page.goto(k.api.core.links.preferences(sub.id));
    await page.getByRole('heading', { name: 'Preferensi langganan' }).waitFor();
    expect(await page.locator('main').innerText()).toContain('Status: aktif');

    await page.getByRole('button', { name: 'Jeda pemberitahuan' }).click();
    await page.getByRole('status').filter({ hasText: 'Pemberitahuan dijeda' }).waitFor();
    expect((await store.get(sub.id))!.status).toBe('paused');
    await page.getByRole('button', { name: 'Lanjutkan pemberitahuan' }).click();
    await page.getByRole('status').filter({ hasText: 'Pemberitahuan dilanjutkan' }).waitFor();
    expect((await store.get(sub.id))!.status).toBe('confirmed');

    await page.getByLabel('Bahasa', { exact: true }).selectOption('en');
    await page.getByLabel('Olahraga').check();
    await page.getByRole('button', { name: 'Simpan' }).click();
    await page.getByRole('status').filter({ hasText: 'Preferences saved.' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await store.get(sub.id)).toMatchObject({ locale: 'en', topics: ['olahraga'] });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download my data (JSON)' }).click()]);
    expect(download.suggestedFilename()).toBe('kilat-subscription.json');
    const data = JSON.parse(fs.readFileSync((await download.path())!, 'utf8'));
    expect(data).toMatchObject({ email: 'wati@contoh.co.id', status: 'confirmed', locale: 'en', topics: ['olahraga'] });

    await page.getByRole('button', { name: 'Delete my data' }).click();
    await page.getByRole('heading', { name: 'Delete your data?' }).waitFor();
    expect(await store.get(sub.id)).toBeDefined();
    await page.getByRole('button', { name: 'Yes, delete my data' }).click();
    await page.getByRole('heading', { name: 'Your data has been deleted' }).waitFor();
    expect(await store.get(sub.id)).toBeUndefined();
  });
});
