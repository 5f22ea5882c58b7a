import { postForm } from '../helpers/forms';
import { bearer, postJson, PUBLISHER_TOKEN, type Kilat } from '../helpers/kilat';
import { useKilat } from '../helpers/use-kilat';

const ANI = 'ani.putri@contoh.co.id';
// Addresses one character or one normalisation step away from ANI, and ANI's neighbours in the index.
const NEIGHBOURS = ['ani.putri2@contoh.co.id', 'ani.putr@contoh.co.id', 'ani.putri@contoh.co', 'ani.putri@contoh.co.id.example', 'xani.putri@contoh.co.id'];
const NEAR_MISSES = ['ani.putri3@contoh.co.id', 'ani.put@contoh.co.id', 'ani.putri@contoh.co.uk', 'ani.putri+x@contoh.co.id', 'ani_putri@contoh.co.id', 'ani.putri@kontoh.co.id', 'ani.putri@contoh.co.id.example.org'];
const HOSTILE = ['*@contoh.co.id', 'ani.putri*', 'ani.putri@*', '%@%', '.*', 'ani.putri@contoh.co.id.', 'ani.putri@contoh.co.i', 'ani.putri@contoh.co.id\r\nBcc: x@y.z', '', ' '];

describe('the newsroom looks up one subscriber by exact address, and nobody else', () => {
  const k: Kilat = useKilat({ workers: false }, async (kilat) => {
    const store = kilat.api.core.subscribers;
    for (const email of [ANI, ...NEIGHBOURS]) {
      const { id } = await store.signup({ email, locale: 'id', topics: ['politik'] });
      await store.confirm(id, (await store.get(id))!.nonce);
    }
  });

  const lookup = (body: unknown, headers: Record<string, string> = bearer) => postJson(`${k.baseUrl}/api/subscribers/lookup`, body, headers);
  /** Every address-looking string in a response (but the sample address of the validation message). */
  const addressesIn = (text: string) => [...new Set(text.match(/[^\s"'<>@]+@[^\s"'<>@]+\.[a-z]{2,}/gi) ?? [])].filter((a) => a !== 'name@example.com');

  test('the exact address, in any capitals and with spaces around it, finds that subscriber and only them', async () => {
    for (const variant of [ANI, ' ANI.PUTRI@Contoh.CO.ID ', 'Ani.Putri@contoh.co.id']) {
      const res = await lookup({ email: variant });
      expect([variant, res.status]).toEqual([variant, 200]);
      expect(res.body).toEqual({
        email: ANI,
        status: 'confirmed',
        locale: 'id',
        topics: ['politik'],
        signedUpAt: expect.any(String),
        confirmedAt: expect.any(String),
        alertsReceived: 0,
        lastBounce: null,
        softBounces: 0,
        pendingChange: null,
      });
      expect(addressesIn(JSON.stringify(res.body))).toEqual([ANI]);
    }
  });

  test('near misses, wildcards and hostile input find nobody and name nobody', async () => {
    for (const email of NEAR_MISSES) {
      const res = await lookup({ email });
      expect([email, res.status, res.body.error?.code]).toEqual([email, 404, 'subscriber_not_found']);
      expect([email, addressesIn(JSON.stringify(res.body))]).toEqual([email, []]);
    }
    for (const email of HOSTILE) {
      const res = await lookup({ email });
      expect([email, res.status === 404 || res.status === 400]).toEqual([email, true]);
      expect([email, addressesIn(JSON.stringify(res.body))]).toEqual([email, []]);
    }
    // not a string, extra fields, no body: a 400 that names no subscriber
    for (const body of [{ email: [ANI] }, { email: { $ne: '' } }, { email: ANI, all: true }, {}, [ANI], 'null']) {
      const res = await lookup(body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
      expect(addressesIn(JSON.stringify(res.body))).toEqual([]);
    }
    // the address belongs in the body: there is no route that takes it in the URL, and no listing
    for (const path of [`/api/subscribers/lookup?email=${encodeURIComponent(ANI)}`, '/api/subscribers', `/api/subscribers/${encodeURIComponent(ANI)}`]) {
      const res = await fetch(`${k.baseUrl}${path}`, { headers: bearer });
      expect([path, res.status]).toEqual([path, 404]);
      expect(addressesIn(await res.text())).toEqual([]);
    }
  });

  test('without the publisher token or an /admin session every route and action is refused and nothing changes', async () => {
    const victim = NEIGHBOURS[0]!;
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789abcdef' }, { authorization: PUBLISHER_TOKEN }] as Record<string, string>[]) {
      for (const action of ['lookup', 'unsubscribe', 'export', 'delete']) {
        const res = await postJson(`${k.baseUrl}/api/subscribers/${action}`, { email: victim }, headers);
        expect([action, res.status, res.body.error?.code]).toEqual([action, 401, 'unauthorized']);
        expect(addressesIn(JSON.stringify(res.body))).toEqual([]);
      }
      expect((await fetch(`${k.baseUrl}/api/stats/audience`, { headers })).status).toBe(401);
    }
    // the admin page sends a stranger to sign in; its form posts are refused outright
    const page = await fetch(`${k.baseUrl}/admin/subscribers`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/admin/login?next=%2Fadmin%2Fsubscribers');
    for (const action of ['lookup', 'unsubscribe', 'export', 'delete']) {
      const res = await fetch(`${k.baseUrl}/admin/subscribers/${action}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `email=${encodeURIComponent(victim)}&confirm=yes` });
      expect([action, res.status]).toEqual([action, 401]);
      expect(addressesIn(await res.text())).toEqual([]);
    }
    expect((await k.api.core.subscribers.findByEmail(victim))?.status).toBe('confirmed');
  });

  test('with the token: unsubscribe, export and delete act on that one subscriber', async () => {
    const target = NEIGHBOURS[1]!;
    const unsub = await postJson(`${k.baseUrl}/api/subscribers/unsubscribe`, { email: target.toUpperCase() }, bearer);
    expect(unsub.status).toBe(200);
    expect(unsub.body).toMatchObject({ changed: true, subscriber: { email: target, status: 'unsubscribed' } });
    expect((await postJson(`${k.baseUrl}/api/subscribers/unsubscribe`, { email: target }, bearer)).body.changed).toBe(false);
    const exported = await postJson(`${k.baseUrl}/api/subscribers/export`, { email: target }, bearer);
    expect(exported.status).toBe(200);
    expect(exported.body).toMatchObject({ email: target, status: 'unsubscribed', locale: 'id', topics: ['politik'] });
    const deleted = await postJson(`${k.baseUrl}/api/subscribers/delete`, { email: target }, bearer);
    expect([deleted.status, deleted.body]).toEqual([200, { deleted: true }]);
    expect((await lookup({ email: target })).status).toBe(404);
    expect((await postJson(`${k.baseUrl}/api/subscribers/delete`, { email: target }, bearer)).status).toBe(404);
    // the keyed hash stays: the address is never mailed again unless its owner signs up anew
    expect(await k.api.core.dataRights.suppression(target)).toMatch(/^deleted:/);
    // the others are untouched
    for (const email of [ANI, NEIGHBOURS[0]!]) expect((await lookup({ email })).body.status).toBe('confirmed');
  });

  test('/admin/subscribers: signed in, the lookup and actions are CSRF-checked form posts that keep the address out of the URL', async () => {
    const signIn = await fetch(`${k.baseUrl}/admin/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${PUBLISHER_TOKEN}&next=/admin/subscribers` });
    expect(signIn.status).toBe(303);
    const admin = signIn.headers.getSetCookie().find((c) => c.startsWith('kilat_admin='))!.split(';')[0]!;
    const pageRes = await fetch(`${k.baseUrl}/admin/subscribers`, { headers: { cookie: admin } });
    expect(pageRes.status).toBe(200);
    const page = await pageRes.text();
    expect(page).toContain('action="/admin/subscribers/lookup"');
    expect(addressesIn(page)).toEqual([]);
    const csrfCookie = pageRes.headers.getSetCookie().find((c) => /^kilat-csrf=/.test(c))!.split(';')[0]!;
    const token = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
    const cookies = { session: { cookie: `${admin}; ${csrfCookie}`, token } };

    const found = await postForm(`${k.baseUrl}/admin/subscribers/lookup`, { email: ' Ani.Putri@Contoh.co.id' }, cookies);
    expect(found.status).toBe(200);
    expect(found.url).toBe(`${k.baseUrl}/admin/subscribers/lookup`);
    const card = await found.text();
    expect(addressesIn(card)).toEqual([ANI]);
    expect(card).toContain('id="subscriber-status">confirmed<');
    const missing = await postForm(`${k.baseUrl}/admin/subscribers/lookup`, { email: 'ani.putri@contoh.com' }, cookies);
    expect(missing.status).toBe(404);
    expect(addressesIn(await missing.text())).toEqual(['ani.putri@contoh.com']);

    // a form without its CSRF token (another site posting with the editor's cookie) is refused
    const forged = await fetch(`${k.baseUrl}/admin/subscribers/unsubscribe`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: admin }, body: `email=${encodeURIComponent(ANI)}` });
    expect(forged.status).toBe(403);
    expect((await k.api.core.subscribers.findByEmail(ANI))?.status).toBe('confirmed');

    const unsub = await postForm(`${k.baseUrl}/admin/subscribers/unsubscribe`, { email: ANI }, cookies);
    expect(unsub.status).toBe(200);
    expect(await unsub.text()).toContain('id="subscriber-status">unsubscribed<');
    const exported = await postForm(`${k.baseUrl}/admin/subscribers/export`, { email: ANI }, cookies);
    expect(exported.headers.get('content-disposition')).toMatch(/attachment/);
    expect(JSON.parse(await exported.text())).toMatchObject({ email: ANI, status: 'unsubscribed' });
    // delete asks first; only the confirmation deletes
    const ask = await postForm(`${k.baseUrl}/admin/subscribers/delete`, { email: ANI }, cookies);
    expect(await ask.text()).toContain('Yes, delete');
    expect(await k.api.core.subscribers.findByEmail(ANI)).toBeDefined();
    const gone = await postForm(`${k.baseUrl}/admin/subscribers/delete`, { email: ANI, confirm: 'yes' }, cookies);
    expect(gone.status).toBe(200);
    expect(await k.api.core.subscribers.findByEmail(ANI)).toBeUndefined();
  });

  test('the answers of lookup and GET /api/stats/audience are what /openapi.json documents', async () => {
    const doc = (await (await fetch(`${k.baseUrl}/openapi.json`)).json()) as any;
    const schemaOf = (path: string, method: string) => doc.components.schemas[doc.paths[path][method].responses['200'].content['application/json'].schema.$ref.split('/').pop()];
    /** Fields the schema does not name, and required ones the body lacks, one level down as well. */
    const undocumented = (schema: any, body: any, at = ''): string[] => [
      ...Object.keys(body).filter((key) => !(key in (schema.properties ?? {})) && !schema.additionalProperties).map((key) => `${at}${key}: not in the schema`),
      ...(schema.required ?? []).filter((key: string) => !(key in body)).map((key: string) => `${at}${key}: required but absent`),
      ...Object.entries(body).flatMap(([key, v]) => (v && typeof v === 'object' && !Array.isArray(v) && schema.properties?.[key]?.properties ? undocumented(schema.properties[key], v, `${at}${key}.`) : [])),
    ];
    const found = await lookup({ email: NEIGHBOURS[2]! });
    expect(undocumented(schemaOf('/api/subscribers/lookup', 'post'), found.body)).toEqual([]);
    const stats = (await (await fetch(`${k.baseUrl}/api/stats/audience?days=7`, { headers: bearer })).json()) as any;
    expect(stats.days).toHaveLength(7);
    const schema = schemaOf('/api/stats/audience', 'get');
    expect(undocumented(schema, stats)).toEqual([]);
    expect(undocumented(schema.properties.days.items, stats.days[0])).toEqual([]);
    for (const q of ['days=0', 'days=367', 'days=abc', 'from=2026-02-30', 'from=2026-12-02&to=2026-12-01', 'from=2020-01-01&to=2026-01-01']) {
      const res = await fetch(`${k.baseUrl}/api/stats/audience?${q}`, { headers: bearer });
      expect([q, res.status]).toEqual([q, 400]);
    }
  });
});
