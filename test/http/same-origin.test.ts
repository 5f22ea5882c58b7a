import { bearer, postJson } from '../helpers/kilat';
import { useKilat } from '../helpers/use-kilat';

/**
 * Browsers that send no Sec-Fetch-Site still send Origin on a cross-origin post: /admin compares it
 * with the Host the request went to (or PUBLIC_URL). Clients that send neither are not browsers and
 * go through to the usual key or session check. (The real-browser case is in
 * test/browser/admin-cross-origin.browser.test.ts.)
 */
describe.each([
  ['reached directly', undefined],
  // The Origin a browser sends is PUBLIC_URL's, while the Host Kilat sees is its own address.
  ['behind a proxy that rewrites Host', 'https://berita.contoh.co.id'],
])('/admin form posts and where they come from, %s', (_how, publicUrl) => {
  const k = useKilat({ workers: false, ...(publicUrl ? { env: { PUBLIC_URL: publicUrl } } : {}) });

  const signIn = async () => {
    const res = await fetch(`${k.baseUrl}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: k.config.publisherToken, next: '/admin' }).toString(),
    });
    expect(res.status).toBe(303);
    return `kilat_admin=${/kilat_admin=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]}`;
  };
  const scheduled = async () => {
    const r = await postJson(`${k.baseUrl}/api/articles`, { title: `Jadwal ${Math.random()}`, body: 'Isi.', publishAt: new Date(Date.now() + 3600_000).toISOString() }, bearer);
    expect(r.status).toBe(202);
    return r.body.alertId as string;
  };
  const stateOf = async (id: string) => ((await (await fetch(`${k.baseUrl}/api/alerts/${id}`, { headers: bearer })).json()) as { state: string }).state;
  const cancel = (id: string, cookie: string, headers: Record<string, string>) =>
    fetch(`${k.baseUrl}/admin/alerts/${id}/cancel`, { method: 'POST', redirect: 'manual', headers: { cookie, accept: 'text/html', ...headers } });

  test.each([
    ['another host', { origin: 'http://evil.example' }],
    ['another port of the same host', { origin: 'http://127.0.0.1:1' }],
    ['an opaque origin (sandboxed frame)', { origin: 'null' }],
    ['a cross-site fetch', { 'sec-fetch-site': 'cross-site' }],
    ['a same-site fetch from another origin', { 'sec-fetch-site': 'same-site' }],
  ])('a post from %s is refused with a readable 403 and changes nothing', async (_what, headers) => {
    const cookie = await signIn();
    const id = await scheduled();
    const res = await cancel(id, cookie, headers);
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/<h1>[^<]+<\/h1>[\s\S]*another site/);
    expect(await stateOf(id)).toBe('scheduled');
  });

  test('a sign-in posted from another origin is refused (no signing an editor into someone else\'s session)', async () => {
    const res = await fetch(`${k.baseUrl}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
      body: new URLSearchParams({ token: k.config.publisherToken }).toString(),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  test.each([
    ['its own origin', () => ({ origin: new URL(k.config.publicUrl).origin })],
    ['a same-origin fetch', () => ({ 'sec-fetch-site': 'same-origin' })],
    ['a client that is not a browser (no Origin, no Sec-Fetch-Site)', () => ({})],
  ])('a post from %s goes through', async (_what, headers) => {
    const cookie = await signIn();
    const id = await scheduled();
    const res = await cancel(id, cookie, headers());
    expect(res.status).toBe(303);
    expect(await stateOf(id)).toBe('cancelled');
  });
});
