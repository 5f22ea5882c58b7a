import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchBrowser } from '../helpers/browser';
import { bearer, postJson, PUBLISHER_TOKEN } from '../helpers/kilat';
import { useKilat } from '../helpers/use-kilat';

/**
 * The /admin session cookie is SameSite=Strict, but "site" ignores the port and covers every
 * subdomain: a page on another port of the same host, or on any sibling subdomain of the newsroom's
 * domain, is same-site, and the browser sends the editor's cookie with its form posts. So a hostile
 * page there, opened by a signed-in editor, must still not be able to act in /admin.
 */
describe('/admin refuses form posts from another origin of the same site', () => {
  const k = useKilat({ workers: false });
  let hostile: http.Server;
  let hostileUrl: string;
  let target = '';

  beforeAll(async () => {
    // Same host as Kilat (127.0.0.1), another port: same-site, cross-origin.
    hostile = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><title>Prize</title><form id="f" method="post" action="${target}"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise((resolve) => hostile.close(resolve));
  });

  const scheduleAlert = async (title: string) => {
    const publishAt = new Date(Date.now() + 3600_000).toISOString();
    const r = await postJson(`${k.baseUrl}/api/articles`, { title, body: 'Isi berita.', publishAt }, bearer);
    expect(r.status).toBe(202);
    return r.body.alertId as string;
  };
  const stateOf = async (id: string) => ((await (await fetch(`${k.baseUrl}/api/alerts/${id}`, { headers: bearer })).json()) as { state: string }).state;

  test('a hostile page cannot cancel an alert with the editor cookie; the alert page itself still can', async () => {
    const browser = await launchBrowser({ width: 1200, height: 900 });
    try {
      const page = await browser.context.newPage();
      await page.goto(`${k.baseUrl}/admin/login`);
      await page.getByLabel('API key').fill(PUBLISHER_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect(new URL(page.url()).pathname).toBe('/admin');

      const id = await scheduleAlert('Jadwal yang diserang');
      target = `${k.baseUrl}/admin/alerts/${id}/cancel`;
      const refused = page.waitForResponse((r) => r.url() === target);
      await page.goto(hostileUrl);
      const answer = await refused;
      expect(answer.status()).toBe(403);
      await page.waitForURL(target);
      expect(await page.locator('h1').textContent()).toMatch(/\S/);
      expect(await page.locator('body').textContent()).toContain('another site');
      expect(await stateOf(id)).toBe('scheduled');

      // The editor's own button, on Kilat's page, still works.
      await page.goto(`${k.baseUrl}/admin/alerts/${id}`);
      await page.getByRole('button', { name: 'Cancel alert' }).click();
      expect(new URL(page.url()).pathname).toBe(`/admin/alerts/${id}`);
      expect(await stateOf(id)).toBe('cancelled');
    } finally {
      await browser.close();
    }
  });
});
