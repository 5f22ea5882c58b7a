import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext } from 'playwright-core';
import { startKilat, type Kilat } from '../helpers/kilat';

/**
 * CSRF in a real browser: our own form works as a reader uses it; a form on another site that posts
 * to /subscribe is refused, because that site cannot read the token that must go with the cookie.
 */
describe('CSRF protection of the HTML forms, in Chromium', () => {
  let k: Kilat;
  let browser: BrowserContext;
  let profile: string;
  let attacker: http.Server;
  let attackerUrl: string;
  beforeAll(async () => {
    k = await startKilat({ workers: false });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-chromium-'));
    // a fresh profile (user data dir) per run
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // Another site (localhost is a different site from 127.0.0.1) with a self-submitting form.
    attacker = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><form id="f" method="post" action="${k.baseUrl}/subscribe">
<input name="email" value="korban@contoh.co.id"><input name="_csrf" value="guessed"></form>
<script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerUrl = `http://localhost:${(attacker.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => attacker?.close(r));
    fs.rmSync(profile, { recursive: true, force: true });
    await k.stop();
  });

  test('the sign-up form, filled in and sent by a reader, is accepted', async () => {
    const page = await browser.newPage();
    await page.goto(`${k.baseUrl}/`);
    await page.fill('#email', 'pembaca@contoh.co.id');
    await Promise.all([page.waitForURL(`${k.baseUrl}/subscribe`), page.click('button[type=submit]')]);
    expect(await page.textContent('h1')).toMatch(/Periksa|Check/);
    expect(await k.api.core.subscribers.findByEmail('pembaca@contoh.co.id')).toMatchObject({ status: 'pending' });
    await page.close();
  });

  test('a form on another site posting to /subscribe is refused with a readable 403 and changes nothing', async () => {
    const page = await browser.newPage();
    // the victim has visited Kilat before: the CSRF cookie exists in this browser
    await page.goto(`${k.baseUrl}/`);
    const response = page.waitForResponse((r) => r.url() === `${k.baseUrl}/subscribe`);
    await page.goto(attackerUrl);
    const res = await response;
    expect(res.status()).toBe(403);
    await page.waitForLoadState();
    expect(await page.textContent('main')).toContain('reload the page');
    expect(await k.api.core.subscribers.findByEmail('korban@contoh.co.id')).toBeUndefined();
    await page.close();
  });
});
