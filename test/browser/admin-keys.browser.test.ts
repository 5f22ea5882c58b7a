import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { accessibilityBasics, launchBrowser } from '../helpers/browser';
import { PUBLISHER_TOKEN } from '../helpers/kilat';
import { useKilat } from '../helpers/use-kilat';

// Screenshots go to a temporary directory (printed once), to be looked at by a person.
const SHOTS = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-admin-keys-shots-'));
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

const RUNS = [
  { width: 375, height: 740, js: false },
  { width: 1200, height: 900, js: true },
];

describe('/admin/keys and /admin/audit in a real browser', () => {
  const k = useKilat({ workers: false });
  beforeAll(() => {
    process.stdout.write(`admin keys screenshots: ${SHOTS}\n`);
  });

  const expectAccessible = async (page: Page, where: string) => {
    const a11y = await accessibilityBasics(page);
    expect({ where, ...a11y }).toEqual({ where, lang: 'en', title: expect.stringMatching(/\S/), unlabelled: [], lowContrast: [], fitsWidth: true });
  };
  const signIn = async (page: Page, secret: string) => {
    await page.getByLabel('API key').fill(secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  test.each(RUNS)('an admin creates an editor key, the editor signs in with it, the admin revokes it; the audit log shows who did what at $width px (JavaScript: $js)', async ({ width, height, js }) => {
    const admin = await launchBrowser({ width, height, javaScriptEnabled: js });
    const editorBrowser = await launchBrowser({ width, height, javaScriptEnabled: js });
    const name = `Desk: Rina <b>${width}</b>`;
    try {
      const page = await admin.context.newPage();
      await page.goto(`${k.baseUrl}/admin/keys`);
      expect(new URL(page.url()).pathname).toBe('/admin/login');
      await signIn(page, PUBLISHER_TOKEN);
      expect(new URL(page.url()).pathname).toBe('/admin/keys');
      await expectAccessible(page, 'keys');

      // a mistake first: no scope chosen
      await page.getByLabel('Name (who holds it)').fill(name);
      await page.getByRole('button', { name: 'Create key' }).click();
      expect(await page.getByRole('alert').textContent()).toContain('scopes: at least one of');
      expect(await page.getByLabel('Name (who holds it)').inputValue()).toBe(name);
      await expectAccessible(page, 'keys error');
      await shot(page, `keys-error-${width}`);

      await page.getByRole('checkbox', { name: /publish, preview and test-send/ }).check();
      await page.getByRole('checkbox', { name: /see alerts/ }).check();
      await page.getByRole('button', { name: 'Create key' }).click();
      expect(await page.getByRole('heading', { level: 2, name: `Key created for ${name}` }).count()).toBe(1);
      const secret = await page.getByLabel(`Secret of ${name}`).inputValue();
      expect(secret).toMatch(/^kilat_[A-Za-z0-9_-]{43}$/);
      expect(await page.locator('td.key-name', { hasText: name }).count()).toBe(1);
      await expectAccessible(page, 'key created');
      await shot(page, `keys-created-${width}`);
      // shown once: the list page never has it again
      await page.goto(`${k.baseUrl}/admin/keys`);
      expect(await page.content()).not.toContain(secret);

      // the editor signs in with their own key: the dashboard opens, the keys page does not
      const editor = await editorBrowser.context.newPage();
      await editor.goto(`${k.baseUrl}/admin`);
      await signIn(editor, secret);
      expect(new URL(editor.url()).pathname).toBe('/admin');
      expect(await editor.locator('header .who').textContent()).toBe(name);
      // no links to pages the key cannot open
      expect(await editor.getByRole('navigation', { name: 'Admin' }).getByRole('link').allTextContents()).toEqual(['Alerts', 'Embed']);
      await expectAccessible(editor, 'editor dashboard');
      await shot(editor, `editor-dashboard-${width}`);
      const forbidden = await editor.goto(`${k.baseUrl}/admin/keys`);
      expect(forbidden?.status()).toBe(403);
      expect(await editor.locator('main').textContent()).toContain(`The key "${name}" does not have the "admin" scope`);

      // the admin revokes it; the editor's next page load is the sign-in form
      await page.getByRole('button', { name: `Revoke the key ${name}` }).click();
      expect(await page.getByRole('status').textContent()).toContain(`The key "${name}" is revoked`);
      expect(await page.locator('tr', { hasText: name }).locator('td').last().textContent()).toMatch(/^revoked \d{4}-\d{2}-\d{2} /);
      await expectAccessible(page, 'key revoked');
      await shot(page, `keys-revoked-${width}`);
      await editor.goto(`${k.baseUrl}/admin`);
      expect(new URL(editor.url()).pathname).toBe('/admin/login');

      // the audit log: newest first, with the name (escaped), action and target
      await page.getByRole('link', { name: 'Audit' }).click();
      expect(new URL(page.url()).pathname).toBe('/admin/audit');
      const rows = page.locator('tbody tr');
      expect(await rows.nth(0).textContent()).toMatch(new RegExp(`bootstrap.*key\\.revoke.*name ${name.replace(/[<>/]/g, '.')}`, 's'));
      expect(await rows.nth(1).textContent()).toMatch(/bootstrap.*key\.create.*scopes publish,read/s);
      await expectAccessible(page, 'audit');
      await shot(page, `audit-${width}`);
      const csv = await page.request.get(`${k.baseUrl}/admin/audit/export?format=csv`);
      expect(csv.status()).toBe(200);
      expect(await csv.text()).toContain(`key.revoke`);
    } finally {
      await editorBrowser.close();
      await admin.close();
    }
  });

  test('the audit log pages through older entries at 375 px', async () => {
    for (let i = 0; i < 60; i++) await k.api.core.audit.record({ actor: { id: 'k_0123456789ab', name: `Editor ${i}` }, action: 'alert.publish', target: { alertId: String(i + 1) }, from: { via: 'api', ip: '203.0.113.9', userAgent: 'NewsroomCMS/2.1' } });
    const browser = await launchBrowser({ width: 375, height: 740, javaScriptEnabled: false });
    try {
      const page = await browser.context.newPage();
      await page.goto(`${k.baseUrl}/admin/audit`);
      await signIn(page, PUBLISHER_TOKEN);
      expect(await page.locator('tbody tr').count()).toBe(50);
      expect(await page.locator('tbody tr').first().textContent()).toContain('Editor 59');
      await page.getByRole('link', { name: 'Older entries' }).click();
      expect(await page.locator('tbody tr').first().textContent()).toContain('Editor 9');
      await expectAccessible(page, 'audit page 2');
      await shot(page, 'audit-page2-375');
      await page.getByRole('link', { name: 'Newest' }).click();
      expect(await page.locator('tbody tr').first().textContent()).toContain('Editor 59');
    } finally {
      await browser.close();
    }
  });
});
