import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bearer, postJson, waitUntil } from '../helpers/kilat';
import { kilatCli } from '../helpers/cli';
import { useKilat } from '../helpers/use-kilat';
import type { Scope } from '../../src/ops/api-keys';

const auth = (secret: string) => ({ authorization: `Bearer ${secret}` });
/** Refused: 401, or (a page asked for by a browser) sent to the sign-in form. */
const refused = (res: Response) => res.status === 401 || (res.status === 303 && (res.headers.get('location') ?? '').startsWith('/admin/login'));

describe('named API keys: scopes, revocation, the audit log', () => {
  // TRUST_PROXY=1: the audit log must take the client address from X-Forwarded-For (one hop).
  const k = useKilat({ workers: false, env: { TRUST_PROXY: '1' } });

  const createKey = async (name: string, scopes: Scope[]) => {
    const r = await postJson(`${k.baseUrl}/api/keys`, { name, scopes }, bearer);
    expect(r.status).toBe(201);
    return r.body as { key: { id: string; name: string; scopes: Scope[] }; secret: string };
  };
  const signIn = async (secret: string) => {
    const res = await fetch(`${k.baseUrl}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: secret, next: '/admin' }).toString(),
    });
    expect(res.status).toBe(303);
    return `kilat_admin=${/kilat_admin=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]}`;
  };
  const auditEntries = async () => {
    const all: any[] = [];
    let before: string | null | undefined;
    do {
      const r = await fetch(`${k.baseUrl}/api/audit?limit=500${before ? `&before=${before}` : ''}`, { headers: bearer });
      const body = (await r.json()) as { entries: any[]; next: string | null };
      all.push(...body.entries);
      before = body.next;
    } while (before);
    return all;
  };

  test('a revoked key is refused on the very next request everywhere: API, an open /admin session, Bull Board', async () => {
    const { key, secret } = await createKey('Desk: Rina', ['admin']);
    const cookie = await signIn(secret);
    const published = await postJson(`${k.baseUrl}/api/articles`, { title: 'Gempa di Cianjur', body: 'Isi berita.' }, auth(secret));
    expect(published.status).toBe(202);
    const alertUrl = `${k.baseUrl}/api/alerts/${published.body.alertId}`;
    // before: all three let the key in
    expect((await fetch(alertUrl, { headers: auth(secret) })).status).toBe(200);
    expect((await fetch(`${k.baseUrl}/admin`, { headers: { cookie, accept: 'text/html' }, redirect: 'manual' })).status).toBe(200);
    expect((await fetch(`${k.baseUrl}/admin/queues/api/queues`, { headers: { cookie }, redirect: 'manual' })).status).toBe(200);
    expect((await fetch(`${k.baseUrl}/admin/queues/api/queues`, { headers: auth(secret), redirect: 'manual' })).status).toBe(200);

    const revoked = await postJson(`${k.baseUrl}/api/keys/${key.id}/revoke`, {}, bearer);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ changed: true, key: { id: key.id, revokedAt: expect.any(String) } });

    // the very next request of each kind is refused, no waiting
    const api = await fetch(alertUrl, { headers: auth(secret) });
    expect(api.status).toBe(401);
    expect(await api.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    const page = await fetch(`${k.baseUrl}/admin`, { headers: { cookie, accept: 'text/html' }, redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/admin/login?next=%2Fadmin');
    expect(refused(await fetch(`${k.baseUrl}/admin/queues/api/queues`, { headers: { cookie }, redirect: 'manual' }))).toBe(true);
    expect(refused(await fetch(`${k.baseUrl}/admin/queues`, { headers: { cookie, accept: 'text/html' }, redirect: 'manual' }))).toBe(true);
    expect((await fetch(`${k.baseUrl}/admin/queues/api/queues`, { headers: { ...auth(secret), accept: 'application/json' }, redirect: 'manual' })).status).toBe(401);
    expect((await fetch(`${k.baseUrl}/admin/alerts/${published.body.alertId}/cancel`, { method: 'POST', headers: { cookie }, redirect: 'manual' })).status).toBe(401);
    // and the key cannot sign in again
    const again = await fetch(`${k.baseUrl}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: secret }).toString(),
      redirect: 'manual',
    });
    expect(again.status).toBe(401);
    // the alert it published is still there, not cancelled by the refused request
    expect((await k.api.core.alerts.status(published.body.alertId))?.state).not.toBe('cancelled');
  });

  test('Redis holds a hash of each secret, never the secret itself', async () => {
    const { secret } = await createKey('Integration: CMS', ['publish']);
    const dump: string[] = [];
    for (const key of await k.redis.client.keys('*')) {
      const type = await k.redis.client.type(key);
      if (type === 'string') dump.push(key, (await k.redis.client.get(key)) ?? '');
      if (type === 'hash') dump.push(key, JSON.stringify(await k.redis.client.hgetall(key)));
      if (type === 'stream') dump.push(key, JSON.stringify(await k.redis.client.xrange(key, '-', '+')));
    }
    expect(dump.join('\n')).not.toContain(secret);
    expect(dump.join('\n')).not.toContain(secret.slice('kilat_'.length, 30));
  });

  // The scope table (README, "Keys and scopes"): each route, and the scopes that open it. A route
  // that opens answers whatever its input deserves (400 for the empty body, 404 for an alert that
  // does not exist) but never 401/403; one that does not answers 403.
  const ROUTE_SCOPES: { name: string; scopes: Scope[]; request: (h: Record<string, string>) => Promise<Response> }[] = [
    { name: 'POST /api/articles', scopes: ['publish'], request: (h) => fetch(`${k.baseUrl}/api/articles`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: '{}' }) },
    { name: 'POST /api/articles/preview', scopes: ['publish'], request: (h) => fetch(`${k.baseUrl}/api/articles/preview`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: '{}' }) },
    { name: 'POST /api/articles/test-send', scopes: ['publish'], request: (h) => fetch(`${k.baseUrl}/api/articles/test-send`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: '{}' }) },
    { name: 'GET /api/alerts/{id}', scopes: ['read', 'publish'], request: (h) => fetch(`${k.baseUrl}/api/alerts/999999`, { headers: h }) },
    ...(['pause', 'resume', 'cancel'] as const).map((a) => ({ name: `POST /api/alerts/{id}/${a}`, scopes: ['publish'] as Scope[], request: (h: Record<string, string>) => fetch(`${k.baseUrl}/api/alerts/999999/${a}`, { method: 'POST', headers: h }) })),
    { name: 'GET /api/stats/signups', scopes: ['read'], request: (h) => fetch(`${k.baseUrl}/api/stats/signups`, { headers: h }) },
    { name: 'GET /api/keys', scopes: ['admin'], request: (h) => fetch(`${k.baseUrl}/api/keys`, { headers: h }) },
    { name: 'POST /api/keys', scopes: ['admin'], request: (h) => fetch(`${k.baseUrl}/api/keys`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: '{}' }) },
    { name: 'POST /api/keys/{id}/revoke', scopes: ['admin'], request: (h) => fetch(`${k.baseUrl}/api/keys/k_000000000000/revoke`, { method: 'POST', headers: h }) },
    { name: 'GET /api/audit', scopes: ['admin'], request: (h) => fetch(`${k.baseUrl}/api/audit`, { headers: h }) },
    { name: 'GET /api/audit/export', scopes: ['admin'], request: (h) => fetch(`${k.baseUrl}/api/audit/export`, { headers: h }) },
    { name: 'GET /admin', scopes: ['read', 'publish'], request: (h) => fetch(`${k.baseUrl}/admin`, { headers: h, redirect: 'manual' }) },
    { name: 'GET /admin/alerts/{id}', scopes: ['read', 'publish'], request: (h) => fetch(`${k.baseUrl}/admin/alerts/999999`, { headers: h, redirect: 'manual' }) },
    { name: 'GET /admin/embed', scopes: ['read', 'publish'], request: (h) => fetch(`${k.baseUrl}/admin/embed`, { headers: h, redirect: 'manual' }) },
    ...(['preview', 'test-send', 'publish'] as const).map((a) => ({
      name: `POST /admin/${a}`,
      scopes: ['publish'] as Scope[],
      request: (h: Record<string, string>) => fetch(`${k.baseUrl}/admin/${a}`, { method: 'POST', headers: { ...h, 'content-type': 'application/x-www-form-urlencoded' }, body: 'title=', redirect: 'manual' }),
    })),
    { name: 'POST /admin/alerts/{id}/pause', scopes: ['publish'], request: (h) => fetch(`${k.baseUrl}/admin/alerts/999999/pause`, { method: 'POST', headers: h, redirect: 'manual' }) },
    { name: 'GET /admin/keys', scopes: ['admin'], request: (h) => fetch(`${k.baseUrl}/admin/keys`, { headers: h, redirect: 'manual' }) },
    { name: 'POST /admin/keys', scopes: ['admin'], request: (h) => fetch(`${k.baseUrl}/admin/keys`, { method: 'POST', headers: { ...h, 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=', redirect: 'manual' }) },
    { name: 'GET /admin/audit', scopes: ['admin'], request: (h) => fetch(`${k.baseUrl}/admin/audit`, { headers: h, redirect: 'manual' }) },
    { name: 'GET /admin/audit/export', scopes: ['admin'], request: (h) => fetch(`${k.baseUrl}/admin/audit/export`, { headers: h, redirect: 'manual' }) },
    { name: 'GET /admin/queues (Bull Board)', scopes: ['admin'], request: (h) => fetch(`${k.baseUrl}/admin/queues/api/queues`, { headers: h, redirect: 'manual' }) },
    { name: 'GET /api/stats/audience', scopes: ['read'], request: (h) => fetch(`${k.baseUrl}/api/stats/audience`, { headers: h }) },
    ...(['lookup', 'unsubscribe', 'export', 'delete'] as const).map((a) => ({
      name: `POST /api/subscribers/${a}`,
      scopes: ['subscribers'] as Scope[],
      request: (h: Record<string, string>) => fetch(`${k.baseUrl}/api/subscribers/${a}`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: '{}' }),
    })),
    { name: 'GET /admin/subscribers', scopes: ['subscribers'], request: (h) => fetch(`${k.baseUrl}/admin/subscribers`, { headers: h, redirect: 'manual' }) },
  ];

  test('scopes are enforced per route: every route with a key of each scope', async () => {
    const keys: Record<Scope, string> = {} as Record<Scope, string>;
    for (const s of ['publish', 'read', 'subscribers', 'admin'] as Scope[]) keys[s] = (await createKey(`only ${s}`, [s])).secret;
    const seen: string[] = [];
    for (const route of ROUTE_SCOPES) {
      for (const scope of Object.keys(keys) as Scope[]) {
        const res = await route.request(auth(keys[scope]));
        const allowed = scope === 'admin' || route.scopes.includes(scope);
        seen.push(`${route.name} as ${scope}: ${allowed ? (res.status === 401 || res.status === 403 ? `refused ${res.status}` : 'allowed') : res.status === 403 ? 'refused 403' : `let in ${res.status}`}`);
        expect(res.status).toBeLessThan(500);
      }
      // no key at all, and a wrong key: 401 (or the sign-in page for an /admin page)
      for (const h of [{}, auth('kilat_not-a-real-key-0000000000000000000000000')]) {
        const res = await route.request(h);
        expect([route.name, refused(res)]).toEqual([route.name, true]);
      }
    }
    const expected = ROUTE_SCOPES.flatMap((route) =>
      (Object.keys(keys) as Scope[]).map((scope) => `${route.name} as ${scope}: ${scope === 'admin' || route.scopes.includes(scope) ? 'allowed' : 'refused 403'}`),
    );
    expect(seen).toEqual(expected);
    // a read-only key's dashboard has no compose form; a publish key's has
    const dash = async (secret: string) => (await fetch(`${k.baseUrl}/admin`, { headers: auth(secret) })).text();
    expect(await dash(keys.read)).toContain('no "publish" scope');
    expect(await dash(keys.read)).not.toContain('action="/admin/publish"');
    expect(await dash(keys.publish)).toContain('action="/admin/publish"');
    // a key with two scopes has both
    const both = (await createKey('publish+read', ['publish', 'read'])).secret;
    expect((await fetch(`${k.baseUrl}/api/stats/signups`, { headers: auth(both) })).status).toBe(200);
    expect((await fetch(`${k.baseUrl}/api/keys`, { headers: auth(both) })).status).toBe(403);
    const denied = await fetch(`${k.baseUrl}/api/keys`, { headers: auth(keys.read) });
    expect(await denied.json()).toEqual({ error: { code: 'forbidden', message: 'The key "only read" does not have the "admin" scope this needs.' } });
  });

  test('every audited action appears exactly once, with its key\'s name, target, time and origin; nothing for what changed nothing', async () => {
    const start = (await auditEntries()).length;
    const t0 = Date.now();
    const rina = await createKey('Desk: Rina', ['publish', 'read']);
    const ops = await createKey('Ops: Budi', ['admin']);
    const ua = { 'user-agent': 'NewsroomCMS/2.1', 'x-forwarded-for': '203.0.113.7' };
    // publish; the same article again is a duplicate (nothing changed)
    const article = { id: 'audit-1', title: 'Banjir di Jakarta', body: 'Isi berita.' };
    const pub = await postJson(`${k.baseUrl}/api/articles`, article, { ...auth(rina.secret), ...ua });
    expect(pub.status).toBe(202);
    expect((await postJson(`${k.baseUrl}/api/articles`, article, auth(rina.secret))).status).toBe(200);
    const id = String(pub.body.alertId);
    // pause over the API, pause again (no change), resume from /admin, cancel, cancel again (409)
    expect((await postJson(`${k.baseUrl}/api/alerts/${id}/pause`, {}, auth(rina.secret))).body.changed).toBe(true);
    expect((await postJson(`${k.baseUrl}/api/alerts/${id}/pause`, {}, auth(rina.secret))).body.changed).toBe(false);
    const cookie = await signIn(rina.secret);
    expect((await fetch(`${k.baseUrl}/admin/alerts/${id}/resume`, { method: 'POST', headers: { cookie, 'user-agent': 'Firefox/140' }, redirect: 'manual' })).status).toBe(303);
    expect((await postJson(`${k.baseUrl}/api/alerts/${id}/cancel`, {}, auth(rina.secret))).body.changed).toBe(true);
    expect((await postJson(`${k.baseUrl}/api/alerts/${id}/cancel`, {}, auth(rina.secret))).body.changed).toBe(false);
    // test send (the address is masked in the log)
    const sent = await postJson(`${k.baseUrl}/api/articles/test-send`, { to: 'rina.editor@kilat.example', article: { title: 'Uji', body: 'Isi.' } }, auth(rina.secret));
    expect(sent.status).toBe(200);
    // keys: Budi creates one and revokes it twice at once (one revoke wins)
    const tmp = await postJson(`${k.baseUrl}/api/keys`, { name: 'Temp <b>intern</b>', scopes: ['read'] }, auth(ops.secret));
    const twice = await Promise.all([1, 2].map(() => postJson(`${k.baseUrl}/api/keys/${tmp.body.key.id}/revoke`, {}, auth(ops.secret))));
    expect(twice.map((r) => r.body.changed).sort()).toEqual([false, true]);
    // the CLI, as the operating-system user
    const cli = await kilatCli(k.env, 'keys', 'create', '--name', 'Night desk', '--scopes', 'publish', '--json');
    expect(cli.code).toBe(0);
    const night = JSON.parse(cli.stdout).key.id as string;
    expect((await kilatCli(k.env, 'keys', 'revoke', night)).code).toBe(0);

    // /admin's own publish and test send, signed in as Rina
    const form = (path: string, fields: Record<string, string>) =>
      fetch(`${k.baseUrl}${path}`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(), redirect: 'manual' });
    expect((await form('/admin/test-send', { title: 'Uji admin', body: 'Isi.', testTo: 'rina.editor@kilat.example' })).status).toBe(200);
    const adminPub = await form('/admin/publish', { title: 'Kabar dari admin', body: 'Isi.' });
    expect(adminPub.status).toBe(303);
    const adminId = /\/admin\/alerts\/(\d+)/.exec(adminPub.headers.get('location') ?? '')![1];
    // operator data-rights commands: import, export one, delete one
    const csvFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-audit-')), 'list.csv');
    fs.writeFileSync(csvFile, 'email,locale,topics\npembaca.setia@contoh.co.id,id,\n');
    expect((await kilatCli(k.env, 'subscribers', 'import', csvFile, '--confirmed')).code).toBe(0);
    expect((await kilatCli(k.env, 'subscribers', 'export', 'pembaca.setia@contoh.co.id')).code).toBe(0);
    expect((await kilatCli(k.env, 'subscribers', 'delete', 'pembaca.setia@contoh.co.id')).code).toBe(0);
    expect((await kilatCli(k.env, 'subscribers', 'delete', 'pembaca.setia@contoh.co.id')).code).toBe(4);
    // the newsroom's subscriber actions over the API, with a key of the subscribers scope; an unsubscribe that changes nothing is not recorded
    const desk = await createKey('Desk: Sari', ['subscribers']);
    fs.writeFileSync(csvFile, 'email,locale,topics\nsari.pembaca@contoh.co.id,id,\n');
    expect((await kilatCli(k.env, 'subscribers', 'import', csvFile, '--confirmed')).code).toBe(0);
    const reader = { email: 'Sari.Pembaca@contoh.co.id' };
    expect((await postJson(`${k.baseUrl}/api/subscribers/lookup`, reader, auth(desk.secret))).status).toBe(200);
    expect((await postJson(`${k.baseUrl}/api/subscribers/unsubscribe`, reader, auth(desk.secret))).body.changed).toBe(true);
    expect((await postJson(`${k.baseUrl}/api/subscribers/unsubscribe`, reader, auth(desk.secret))).body.changed).toBe(false);
    expect((await postJson(`${k.baseUrl}/api/subscribers/export`, reader, auth(desk.secret))).status).toBe(200);
    expect((await postJson(`${k.baseUrl}/api/subscribers/delete`, reader, auth(desk.secret))).status).toBe(200);

    const entries = (await auditEntries()).slice(0, -start || undefined);
    const summary = entries.map((e) => `${e.actor.name} ${e.action} ${JSON.stringify(e.target)} via ${e.from.via}`).reverse();
    expect(summary).toEqual([
      `bootstrap key.create {"keyId":"${rina.key.id}","name":"Desk: Rina","scopes":"publish,read"} via api`,
      `bootstrap key.create {"keyId":"${ops.key.id}","name":"Ops: Budi","scopes":"admin"} via api`,
      `Desk: Rina alert.publish {"alertId":"${id}"} via api`,
      `Desk: Rina alert.pause {"alertId":"${id}"} via api`,
      `Desk: Rina alert.resume {"alertId":"${id}"} via admin`,
      `Desk: Rina alert.cancel {"alertId":"${id}"} via api`,
      `Desk: Rina alert.test_send {"to":"r***r@k***.example"} via api`,
      `Ops: Budi key.create {"keyId":"${tmp.body.key.id}","name":"Temp <b>intern</b>","scopes":"read"} via api`,
      `Ops: Budi key.revoke {"keyId":"${tmp.body.key.id}","name":"Temp <b>intern</b>"} via api`,
      expect.stringMatching(new RegExp(`^cli:\\S+ key\\.create \\{"keyId":"${night}","name":"Night desk","scopes":"publish"\\} via cli$`)),
      expect.stringMatching(new RegExp(`^cli:\\S+ key\\.revoke \\{"keyId":"${night}","name":"Night desk"\\} via cli$`)),
      `Desk: Rina alert.test_send {"to":"r***r@k***.example"} via admin`,
      `Desk: Rina alert.publish {"alertId":"${adminId}"} via admin`,
      expect.stringMatching(/^cli:\S+ subscriber\.import \{"rows":1,"created":1,"confirmed":true\} via cli$/),
      expect.stringMatching(/^cli:\S+ subscriber\.export \{"subscriber":"p\*\*\*a@c\*\*\*\.co\.id"\} via cli$/),
      expect.stringMatching(/^cli:\S+ subscriber\.delete \{"subscriber":"p\*\*\*a@c\*\*\*\.co\.id"\} via cli$/),
      `bootstrap key.create {"keyId":"${desk.key.id}","name":"Desk: Sari","scopes":"subscribers"} via api`,
      expect.stringMatching(/^cli:\S+ subscriber\.import \{"rows":1,"created":1,"confirmed":true\} via cli$/),
      `Desk: Sari subscriber.unsubscribe {"subscriber":"s***a@c***.co.id"} via api`,
      `Desk: Sari subscriber.export {"subscriber":"s***a@c***.co.id"} via api`,
      `Desk: Sari subscriber.delete {"subscriber":"s***a@c***.co.id"} via api`,
    ]);
    const publish = entries.find((e) => e.action === 'alert.publish' && e.target.alertId === id);
    expect(publish.actor.id).toBe(rina.key.id);
    expect(publish.from).toEqual({ via: 'api', ip: '203.0.113.7', userAgent: 'NewsroomCMS/2.1' });
    expect(entries.find((e) => e.action === 'alert.resume').from).toMatchObject({ via: 'admin', userAgent: 'Firefox/140' });
    for (const e of entries) {
      expect(Date.parse(e.at)).toBeGreaterThanOrEqual(t0 - 1000);
      expect(Date.parse(e.at)).toBeLessThanOrEqual(Date.now());
    }
    // no plain address anywhere in the stream
    const raw = JSON.stringify(await k.redis.client.xrange(k.api.core.keys.auditLog(), '-', '+'));
    expect(raw).not.toContain('rina.editor@');
    expect(raw).not.toContain('pembaca.setia@');
    expect(raw.toLowerCase()).not.toContain('sari.pembaca@');

    // the same log as JSON lines and CSV, oldest first
    const jsonl = await (await fetch(`${k.baseUrl}/api/audit/export`, { headers: bearer })).text();
    const lines = jsonl.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual((await auditEntries()).map((e) => e.id).reverse());
    const csvRes = await fetch(`${k.baseUrl}/api/audit/export?format=csv`, { headers: bearer });
    expect(csvRes.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csvRes.headers.get('content-disposition')).toMatch(/^attachment; filename="?kilat-audit-\d{4}-\d{2}-\d{2}\.csv"?$/);
    const csv = (await csvRes.text()).trim().split('\n');
    expect(csv[0]).toBe('id,at,actor_id,actor_name,action,target,via,ip,user_agent');
    expect(csv).toHaveLength(lines.length + 1);
    expect(csv.find((l) => l.includes('alert.publish') && l.includes('203.0.113.7'))).toContain(`${rina.key.id},Desk: Rina,alert.publish,alertId=${id},api,203.0.113.7,NewsroomCMS/2.1`);
  });

  test('audit pages: newest first, each entry once across pages; hostile paging is a 400', async () => {
    for (let i = 0; i < 5; i++) await createKey(`pager ${i}`, ['read']);
    const all = await auditEntries();
    const ids: string[] = [];
    let before: string | null = null;
    do {
      const body = (await (await fetch(`${k.baseUrl}/api/audit?limit=2${before ? `&before=${before}` : ''}`, { headers: bearer })).json()) as { entries: { id: string }[]; next: string | null };
      expect(body.entries.length).toBeLessThanOrEqual(2);
      ids.push(...body.entries.map((e) => e.id));
      before = body.next;
    } while (before);
    expect(ids).toEqual(all.map((e) => e.id));
    const sorted = [...ids].sort((a, b) => (BigInt(a.split('-')[0]!) === BigInt(b.split('-')[0]!) ? Number(b.split('-')[1]) - Number(a.split('-')[1]) : BigInt(b.split('-')[0]!) > BigInt(a.split('-')[0]!) ? 1 : -1));
    expect(ids).toEqual(sorted);

    for (const q of ['limit=0', 'limit=501', 'limit=-1', 'limit=1e3', 'limit=abc', 'limit=2&limit=3', 'limit=%20%202', 'before=abc', 'before=1-2-3', 'before=%00', `before=${'9'.repeat(40)}-0`, 'before=1-0&before=2-0']) {
      for (const path of ['/api/audit', '/admin/audit']) {
        const res = await fetch(`${k.baseUrl}${path}?${q}`, { headers: bearer });
        expect([path, q, res.status]).toEqual([path, q, 400]);
        if (path.startsWith('/api')) expect(await res.json()).toEqual({ error: { code: 'validation_failed', message: expect.any(String) } });
      }
    }
    for (const q of ['format=xml', 'format=csv&format=jsonl', 'format=CSV']) {
      expect((await fetch(`${k.baseUrl}/api/audit/export?${q}`, { headers: bearer })).status).toBe(400);
    }
    // past the end: an empty page, not an error
    const oldest = all[all.length - 1]!.id;
    expect(await (await fetch(`${k.baseUrl}/api/audit?before=${oldest}`, { headers: bearer })).json()).toEqual({ entries: [], next: null });
  });

  test('hostile key names and scope lists get a clear 400 and create nothing', async () => {
    const before = (await k.api.core.apiKeys.list()).length;
    const bad: [unknown, unknown][] = [
      ['', ['read']],
      ['   ', ['read']],
      ['x'.repeat(65), ['read']],
      ['a\u0000b', ['read']],
      ['line\nbreak', ['read']],
      ['tab\there', ['read']],
      ['rtl\u202Eevil', ['read']],
      ['zero\u200Bwidth', ['read']],
      ['bootstrap', ['admin']],
      ['BOOTSTRAP', ['admin']],
      [42, ['read']],
      [['a'], ['read']],
      [null, ['read']],
      ['ok name', []],
      ['ok name', ['root']],
      ['ok name', 'read'],
      ['ok name', ['read', 7]],
      ['ok name', Array(1000).fill('read')],
      ['ok name', [{ scope: 'read' }]],
      ['ok name', null],
    ];
    for (const [name, scopes] of bad) {
      const r = await postJson(`${k.baseUrl}/api/keys`, { name, scopes }, bearer);
      expect([name, scopes, r.status, r.body.error?.code]).toEqual([name, scopes, 400, 'validation_failed']);
    }
    for (const body of ['[]', 'null', '"x"', '{"name":"a","scopes":["read"],"extra":1}', '{"name":', 'x'.repeat(20_000)]) {
      const r = await postJson(`${k.baseUrl}/api/keys`, body, bearer);
      expect([body.slice(0, 40), r.status < 500 && r.status >= 400]).toEqual([body.slice(0, 40), true]);
    }
    // the same through the /admin form: a readable page with the error, the name kept (escaped)
    const cookie = await signIn(k.config.publisherToken);
    for (const [name, scopes] of [['a\u0001b', 'read'], ['x'.repeat(65), 'read'], ['<script>alert(1)</script>', 'nope'], ['fine', '']] as const) {
      const res = await fetch(`${k.baseUrl}/admin/keys`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: new URLSearchParams(scopes ? { name, scopes } : { name }).toString(),
      });
      expect(res.status).toBe(400);
      const page = await res.text();
      expect(page).toContain('role="alert"');
      expect(page).not.toContain('<script>alert(1)</script>');
    }
    expect((await k.api.core.apiKeys.list()).length).toBe(before);

    // allowed: HTML and non-Latin letters in a name are stored as given and shown escaped
    const html = await postJson(`${k.baseUrl}/api/keys`, { name: '  <img src=x onerror=alert(1)> Redaksi Jakarta  ', scopes: ['read', 'read', 'publish'] }, bearer);
    expect(html.status).toBe(201);
    expect(html.body.key).toMatchObject({ name: '<img src=x onerror=alert(1)> Redaksi Jakarta', scopes: ['publish', 'read'] });
    const list = await (await fetch(`${k.baseUrl}/admin/keys`, { headers: { cookie } })).text();
    expect(list).toContain('&lt;img src=x onerror=alert(1)&gt; Redaksi Jakarta');
    expect(list).not.toContain('<img src=x');
    const audit = await (await fetch(`${k.baseUrl}/admin/audit`, { headers: { cookie } })).text();
    expect(audit).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(audit).not.toContain('<img src=x');

    // the bootstrap key cannot be revoked; an unknown or malformed id is a 404
    expect((await postJson(`${k.baseUrl}/api/keys/bootstrap/revoke`, {}, bearer)).status).toBe(400);
    for (const id of ['k_ffffffffffff', 'nope', '%00', 'k_' + 'a'.repeat(300)]) expect((await postJson(`${k.baseUrl}/api/keys/${id}/revoke`, {}, bearer)).status).toBe(404);
  });

  test('a user agent with control characters is stored cleaned and bounded', async () => {
    const res = await fetch(`${k.baseUrl}/api/keys`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json', 'user-agent': `evil\tagent ${'x'.repeat(500)}` },
      body: JSON.stringify({ name: 'ua test', scopes: ['read'] }),
    });
    expect(res.status).toBe(201);
    const entry = await waitUntil(async () => (await auditEntries()).find((e) => e.target.name === 'ua test'), 2000, 'entry');
    expect(entry.from.userAgent).toMatch(/^evil agent x+$/);
    expect(entry.from.userAgent.length).toBe(200);
  });
});
