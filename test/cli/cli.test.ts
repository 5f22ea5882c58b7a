import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { linkIn, waitUntil } from '../helpers/kilat';
import { kilatCli } from '../helpers/cli';
import { waitForDrained } from '../helpers/queue-waits';
import { useKilat } from '../helpers/use-kilat';

const seed = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'seed-article.json'), 'utf8'));
const root = path.join(__dirname, '..', '..');

describe('kilat CLI against a running service', () => {
  // The article pages of these tests are served on this machine: the allowlist admits 127.0.0.1.
  const k = useKilat({ env: { FETCH_ALLOW_HOSTS: '127.0.0.1' } });
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-cli-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const file = (name: string, content: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    return p;
  };

  test('subscribers import: good rows kept, bad rows reported by line, double opt-in unless --confirmed', async () => {
    const csv = file(
      'list.csv',
      [
        'email,locale,topics',
        'Ani@Contoh.co.id,id,dunia;politik',
        'not-an-address,id,',
        'budi@contoh.co.id,,',
        'cici@contoh.co.id,fr,',
        'dodi@contoh.co.id,id,sepakbola',
        'ani@contoh.co.id,id,', // duplicate of line 2 (case-insensitive)
      ].join('\n') + '\n',
    );
    const r = await kilatCli(k.env, 'subscribers', 'import', csv);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('line 3: email must look like name@example.com');
    expect(r.stderr).toMatch(/line 5: locale must be one of id, en/);
    expect(r.stderr).toMatch(/line 6: unknown topic "sepakbola"/);
    expect(r.stdout).toMatch(/imported 3 of 6 rows .* 2 new, 0 confirmed, 1 already there, 0 left alone .* 3 rejected; 2 confirmation emails queued/);
    // the two new addresses get a confirmation email, nobody else
    const mails = await k.smtp.waitFor(2);
    // Every confirmation queued is sent: a third address would be at the SMTP server now.
    await waitForDrained(k);
    expect(k.smtp.messages.flatMap((m) => m.to).sort()).toEqual(['ani@contoh.co.id', 'budi@contoh.co.id']);
    expect(mails[0]!.parsed.html).toContain('/confirm?token=');

    // --confirmed: new rows subscribed at once, pending ani confirmed, nobody mailed
    const confirmed = file('confirmed.csv', 'email,locale,topics\nani@contoh.co.id,id,\neka@example.com,en,teknologi\n');
    const c = await kilatCli(k.env, 'subscribers', 'import', '--confirmed', confirmed);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/1 new, 1 confirmed, 0 already there/);
    expect((await k.api.core.subscribers.findByEmail('eka@example.com'))).toMatchObject({ status: 'confirmed', locale: 'en', topics: ['teknologi'] });
    expect((await k.api.core.subscribers.findByEmail('ani@contoh.co.id'))?.status).toBe('confirmed');
    await waitForDrained(k);
    expect(k.smtp.messages).toHaveLength(2);
  });

  test('subscribers import: a file without the header is refused with a clear message', async () => {
    const r = await kilatCli(k.env, 'subscribers', 'import', file('nohead.csv', 'ani@contoh.co.id,id,\n'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('header row must name the columns email,locale,topics');
    const missing = await kilatCli(k.env, 'subscribers', 'import', path.join(dir, 'nope.csv'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read');
  });

  test('publish FILE (Markdown with front matter), alerts status waits until done', async () => {
    // budi confirms through the link in his email
    const budiMail = k.smtp.to('budi@contoh.co.id')[0]!;
    expect((await fetch(linkIn(budiMail.parsed.text, 'confirm'))).status).toBe(200);
    const before = k.smtp.messages.length;
    const md = file('story.md', `---\ntitle: Gempa magnitudo 6,1 guncang Maluku\nlocale: id\ntopics: [dunia]\nurl: https://berita.example.com/gempa\n---\n\nGempa berkekuatan **6,1** mengguncang Maluku pada Rabu pagi.\n\nBMKG menyatakan gempa tidak berpotensi tsunami.\n`);
    const r = await kilatCli(k.env, 'publish', md);
    expect(r.code).toBe(0);
    const alertId = /alert (\d+) queued/.exec(r.stdout)?.[1];
    expect(alertId).toBeTruthy();
    const status = await kilatCli(k.env, 'alerts', 'status', alertId!);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`alert ${alertId} completed: 2 sent, 0 failed`));
    const sent = k.smtp.messages.slice(before);
    expect(sent.flatMap((m) => m.to).sort()).toEqual(['ani@contoh.co.id', 'budi@contoh.co.id']);
    expect(sent[0]!.parsed.subject).toBe('Gempa magnitudo 6,1 guncang Maluku');
    expect(sent[0]!.parsed.text).toContain('Gempa berkekuatan 6,1 mengguncang Maluku');
    expect(sent[0]!.parsed.text).not.toContain('**');
    // publishing the same file again is a duplicate
    const again = await kilatCli(k.env, 'publish', md);
    expect(again.stdout).toContain(`already published as alert ${alertId}`);
    const json = await kilatCli(k.env, 'alerts', 'status', '--no-wait', '--json', alertId!);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: alertId, state: 'completed', sent: 2 });
  });

  test('publish a plain text file: first line is the title; invalid files and unknown alerts fail clearly', async () => {
    const dry = await kilatCli(k.env, 'publish', '--dry-run', file('plain.txt', 'Judul dari baris pertama\n\nIsi berita.\n'));
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ title: 'Judul dari baris pertama', paragraphs: ['Isi berita.'], locale: 'id' });
    const bad = await kilatCli(k.env, 'publish', file('bad.json', '{"title": "x"}'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('the article is not valid: body');
    const notJson = await kilatCli(k.env, 'publish', file('broken.json', '{"title": '));
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toContain('broken.json is not valid JSON');
    expect((await kilatCli(k.env, 'publish')).code).toBe(2);
    const none = await kilatCli(k.env, 'alerts', 'status', '999999');
    expect(none.code).toBe(4);
    expect(none.stderr).toContain('no alert 999999');
  });

  test('publish --at holds the alert as scheduled; a bad --at or --updates fails clearly and stores nothing', async () => {
    const at = new Date(Date.now() + 3600_000).toISOString();
    const story = file('later.txt', 'Sidang putusan nanti siang\n\nMahkamah membacakan putusan.\n');
    const r = await kilatCli(k.env, 'publish', '--at', at, story);
    expect(r.code).toBe(0);
    const alertId = new RegExp(`alert (\\d+) scheduled for ${at.replace(/[.]/g, '\\.')}`).exec(r.stdout)?.[1];
    expect(alertId).toBeTruthy();
    // Without --no-wait too: it says when instead of waiting an hour.
    expect((await kilatCli(k.env, 'alerts', 'status', alertId!)).stdout).toContain(`alert ${alertId} scheduled for ${at}`);

    const before = await k.api.core.alerts.recentIds(200);
    const past = await kilatCli(k.env, 'publish', '--at', new Date(Date.now() - 60_000).toISOString(), file('past.txt', 'Sudah lewat\n\nIsi.\n'));
    expect([past.code, past.stderr]).toEqual([1, expect.stringContaining('is not in the future')]);
    const garbage = await kilatCli(k.env, 'publish', '--at', 'besok siang', file('garbage.txt', 'Kapan\n\nIsi.\n'));
    expect([garbage.code, garbage.stderr]).toEqual([2, expect.stringContaining('--at:')]);
    const missing = await kilatCli(k.env, 'publish', '--updates', '999999', file('orphan.txt', 'Pembaruan\n\nIsi.\n'));
    expect([missing.code, missing.stderr]).toEqual([4, expect.stringContaining('there is no alert 999999')]);
    const early = await kilatCli(k.env, 'publish', '--updates', alertId!, file('early.txt', 'Terlalu dini\n\nIsi.\n'));
    expect([early.code, early.stderr]).toEqual([1, expect.stringContaining('has not been sent yet')]);
    expect(await k.api.core.alerts.recentIds(200)).toEqual(before);

    const cancel = await kilatCli(k.env, 'alerts', 'cancel', alertId!);
    expect(cancel.stdout).toContain(`alert ${alertId} cancelled (it was scheduled)`);
  });

  test('publish --url extracts the story from an article page and leaves the sign-up box out', async () => {
    const paragraphs: string[] = seed.body.split(/\n\s*\n/);
    const page = `<!doctype html><html lang="id"><head><title>${seed.title} | Berita</title>
<link rel="canonical" href="${seed.url}"></head><body>
<nav><a href="/">Beranda</a> <a href="/dunia">Dunia</a> <a href="/olahraga">Olahraga</a></nav>
<aside class="newsletter"><p>Untuk mendapatkan pemberitahuan berita terkini gratis dan real-time yang dikirim langsung ke kotak masuk Anda, daftarlah ke email berita terkini kami</p>
<form><input type="email"><button>Berlangganan email berita terkini gratis kami</button></form></aside>
<article><h1>${seed.title}</h1><p class="byline">keren989</p>${paragraphs.map((p) => `<p>${p}</p>`).join('\n')}</article>
<footer><p>© Berita Example. Semua hak dilindungi.</p></footer></body></html>`;
    const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dunia/story`;
    try {
      const dry = await kilatCli(k.env, 'publish', '--dry-run', '--topics', 'dunia', '--url', url);
      expect(dry.code).toBe(0);
      const article = JSON.parse(dry.stdout);
      expect(article.title).toContain('Panglima militer Tiongkok');
      expect(article.url).toBe(seed.url);
      expect(article.locale).toBe('id');
      expect(article.topics).toEqual(['dunia']);
      expect(article.paragraphs[0]).toContain('Kepala pertahanan Tiongkok pada hari Selasa');
      const all = article.paragraphs.join('\n');
      expect(all).not.toContain('Berlangganan email berita terkini gratis kami');
      expect(all).not.toContain('Beranda');
      const gone = await kilatCli(k.env, 'publish', '--url', `${url.replace(/\d+\/dunia/, '1/dunia')}`);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toContain('cannot fetch');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test('alerts cancel stops a queued alert; export lists subscribers; delete removes one', async () => {
    // Cancel before any worker picks it up: stop the workers first.
    await k.workers!.close();
    k.workers = undefined;
    const r = await kilatCli(k.env, 'publish', file('cancel.json', JSON.stringify({ ...seed, id: 'to-cancel', title: 'Akan dibatalkan' })));
    const alertId = /alert (\d+) queued/.exec(r.stdout)![1]!;
    const cancel = await kilatCli(k.env, 'alerts', 'cancel', alertId);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toContain(`alert ${alertId} cancelled (it was queued)`);
    expect((await kilatCli(k.env, 'alerts', 'cancel', alertId)).code).toBe(1);
    expect((await kilatCli(k.env, 'alerts', 'status', '--no-wait', alertId)).stdout).toContain('cancelled');

    const exported = await kilatCli(k.env, 'subscribers', 'export');
    expect(exported.code).toBe(0);
    const lines = exported.stdout.trim().split('\n');
    expect(lines[0]).toBe('email,locale,topics,status,created_at,confirmed_at');
    expect(lines.slice(1).map((l) => l.split(',')[0]).sort()).toEqual(['ani@contoh.co.id', 'budi@contoh.co.id', 'eka@example.com']);
    expect(lines.find((l) => l.startsWith('ani@'))).toMatch(/^ani@contoh\.co\.id,id,dunia;politik,confirmed,\d{4}-/);

    const one = await kilatCli(k.env, 'subscribers', 'export', 'Ani@contoh.co.id');
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ email: 'ani@contoh.co.id', status: 'confirmed' });

    const del = await kilatCli(k.env, 'subscribers', 'delete', 'ANI@contoh.co.id');
    expect(del.code).toBe(0);
    expect(del.stdout).toContain('keyed hash stays in the suppression set');
    expect(await k.api.core.subscribers.findByEmail('ani@contoh.co.id')).toBeUndefined();
    expect((await kilatCli(k.env, 'subscribers', 'delete', 'ani@contoh.co.id')).code).toBe(4);
    expect((await kilatCli(k.env, 'subscribers', 'export', 'ani@contoh.co.id')).code).toBe(4);
    const after = await kilatCli(k.env, 'subscribers', 'export');
    expect(after.stdout).not.toContain('ani@');
  });

  test('subscribers export writes no cell a spreadsheet would run as a formula; the import reads the export back', async () => {
    for (const email of ['+sum@example.com', '-2+3@example.com']) await k.api.core.subscribers.signup({ email, locale: 'id', topics: [] });
    const exported = await kilatCli(k.env, 'subscribers', 'export');
    const cells = exported.stdout.trim().split('\n').flatMap((l) => l.split(','));
    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
    expect(cells).toEqual(expect.arrayContaining(["'+sum@example.com", "'-2+3@example.com"]));
    const again = await kilatCli(k.env, 'subscribers', 'import', file('exported.csv', exported.stdout));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 new, 0 confirmed, \d+ already there, \d+ left alone \(unsubscribed or bounced\), 0 rejected/);
  });

  test('npx kilat: the bin stub runs the built CLI, --help exits 0, bad config names the variable', async () => {
    const run = promisify(execFile);
    await run('npm', ['run', 'build'], { cwd: root });
    const help = await run('node', [path.join(root, 'bin', 'kilat.js'), 'alerts', 'status', '--help'], { cwd: root });
    expect(help.stdout).toContain('Usage: kilat alerts status');
    const bad = await run('node', [path.join(root, 'bin', 'kilat.js'), 'subscribers', 'export'], {
      cwd: root,
      env: { ...process.env, ...k.env, BATCH_SIZE: 'lots' },
    }).catch((e: { code: number; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(1);
    expect((bad as { stderr: string }).stderr).toContain('BATCH_SIZE');
  });
});
