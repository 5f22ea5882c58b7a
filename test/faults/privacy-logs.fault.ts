import { freePort } from '../../src/dev/embedded-redis';
import { bearer, linkIn, postJson, PUBLISHER_TOKEN, SECRET_KEY, startKilat, waitUntil, type Kilat } from '../helpers/kilat';
import { waitForDrained } from '../helpers/queue-waits';
import { BUILT_MAIN, BUILT_WORKER, envFor, spawnBuilt, stopChild, type ChildService } from '../helpers/worker-process';

/**
 * Privacy in practice: the built API and worker processes run at debug level through sign-ups,
 * confirmations, a publish, a hard bounce, bad requests and wrong tokens; everything they print is
 * then searched for addresses, secrets and signed links. None may appear; addresses show masked.
 */
describe('what the processes log', () => {
  let k: Kilat;
  let api: ChildService | undefined;
  let worker: ChildService | undefined;
  let base: string;
  beforeAll(async () => {
    k = await startKilat({ workers: false });
  });
  afterAll(async () => {
    await stopChild(api);
    await stopChild(worker);
    await k.stop();
  });

  test('no address, secret or signed link in any log line; addresses masked; alert lines carry the alert id', async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = envFor({ ...k.config, publicUrl: base }, { LOG_LEVEL: 'debug', PORT: String(port), HOST: '127.0.0.1' });
    api = spawnBuilt(BUILT_MAIN, env, ['--only=api']);
    worker = spawnBuilt(BUILT_WORKER, env);
    await api.waitForLine(/api listening/);
    await worker.waitForLine(/worker started/);

    const readers = ['rahasia.sekali@contoh.co.id', 'pembaca.setia@contoh.co.id', 'mental.balik@contoh.co.id'];
    k.smtp.rejectRecipient = (addr) => (addr === 'mental.balik@contoh.co.id' && k.smtp.messages.length >= 3 ? 550 : undefined);
    for (const email of readers) expect((await postJson(`${base}/api/subscriptions`, { email })).status).toBe(202);
    const mails = await k.smtp.waitFor(3);
    const links: string[] = [];
    for (const email of readers) {
      const link = linkIn(k.smtp.to(email)[0]!.parsed.text, 'confirm');
      links.push(link);
      expect((await fetch(link)).status).toBe(200);
    }
    // bad input and wrong credentials, the kind of thing that tends to get logged whole
    await postJson(`${base}/api/subscriptions`, { email: 'bukan alamat@contoh.co.id' });
    await postJson(`${base}/api/subscriptions`, '{"email": "rusak@contoh.co.id"');
    await postJson(`${base}/api/articles`, { title: 'x', body: 'y' }, { authorization: `Bearer ${SECRET_KEY}` });
    await fetch(`${base}/confirm?token=${encodeURIComponent(links[0]!.split('token=')[1]!)}x`);

    // a named key: made, used to sign in to /admin and to publish, then revoked and tried again
    const made = await postJson(`${base}/api/keys`, { name: 'Desk: Privasi', scopes: ['publish', 'read'] }, bearer);
    expect(made.status).toBe(201);
    const keySecret = made.body.secret as string;
    const signIn = await fetch(`${base}/admin/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: keySecret }).toString() });
    expect(signIn.status).toBe(303);

    const published = await postJson(`${base}/api/articles`, { title: 'Berita privasi', body: 'Isi.' }, { authorization: `Bearer ${keySecret}` });
    expect(published.status).toBe(202);
    const alertId = published.body.alertId as string;
    await waitUntil(async () => ((await (await fetch(`${base}/api/alerts/${alertId}`, { headers: bearer })).json()) as any).state === 'completed', 30_000, 'alert');
    const alertMails = k.smtp.messages.filter((m) => (m.parsed.subject ?? '').includes('Berita privasi'));
    if (alertMails.length !== 2) console.log(k.smtp.messages.map((m) => [m.to, m.parsed.subject]));
    expect(alertMails).toHaveLength(2); // one reader bounced with 550
    for (const m of alertMails) links.push(linkIn(m.parsed.text, 'unsubscribe'));
    expect((await postJson(`${base}/api/keys/${made.body.key.id}/revoke`, {}, bearer)).status).toBe(200);
    expect((await fetch(`${base}/api/alerts/${alertId}`, { headers: { authorization: `Bearer ${keySecret}` } })).status).toBe(401);
    // the newsroom looks readers up and unsubscribes one: the addresses travel in bodies, and a log line masks them
    expect((await postJson(`${base}/api/subscribers/lookup`, { email: readers[1] }, bearer)).status).toBe(200);
    expect((await postJson(`${base}/api/subscribers/unsubscribe`, { email: readers[1] }, bearer)).status).toBe(200);
    expect((await postJson(`${base}/api/subscribers/lookup`, { email: 'tidak.ada@contoh.co.id' }, bearer)).status).toBe(404);
    await api.waitForLine(/subscriber unsubscribe by the newsroom/);
    // The alert's last step is logged and nothing is left queued: every line of this run is written.
    await worker.waitForLine(/"alert completed"/, 30_000);
    await waitForDrained(k, 60_000);
    await stopChild(api);
    await stopChild(worker);

    const lines = [...api.lines, ...worker.lines];
    expect(lines.length).toBeGreaterThan(10);
    const all = lines.join('\n');
    const forbidden = [
      ...readers,
      ...readers.map((r) => r.split('@')[0]!),
      'rusak@contoh.co.id',
      'tidak.ada',
      'bukan alamat',
      SECRET_KEY,
      PUBLISHER_TOKEN,
      keySecret,
      keySecret.slice('kilat_'.length),
      /kilat_admin=([^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')![1]!,
      ...links.map((l) => decodeURIComponent(l.split('token=')[1]!)),
    ];
    for (const secret of forbidden) expect({ secret, found: all.includes(secret) }).toEqual({ secret, found: false });
    // the bounce is logged, with the address masked
    const bounce = worker.lines.find((l) => l.includes('hard bounce'));
    expect(bounce).toBeDefined();
    expect(JSON.parse(bounce!)).toMatchObject({ alertId, to: 'm***k@c***.co.id' });
    const unsubscribed = api.lines.find((l) => l.includes('subscriber unsubscribe by the newsroom'));
    expect(JSON.parse(unsubscribed!)).toMatchObject({ action: 'unsubscribe', to: 'p***a@c***.co.id' });
    // every line is JSON; every batch line names its alert
    const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(json.length).toBeGreaterThan(10);
    const batchLines = json.filter((l) => /batch/.test(l.msg ?? ''));
    expect(batchLines.length).toBeGreaterThan(0);
    for (const l of batchLines) expect(l.alertId).toBe(alertId);
  });
});
