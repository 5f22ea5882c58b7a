import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kilatCli } from '../helpers/cli';
import { postJson } from '../helpers/kilat';
import { useKilat } from '../helpers/use-kilat';

describe('kilat keys create|list|revoke and kilat audit export', () => {
  const k = useKilat({ workers: false });
  const stats = (secret: string) => fetch(`${k.baseUrl}/api/stats/signups`, { headers: { authorization: `Bearer ${secret}` } });

  test('create prints the secret once; the key works at once with its scopes; list never shows a secret; revoke stops it', async () => {
    const created = await kilatCli(k.env, 'keys', 'create', '--name', 'Desk: Sari', '--scopes', 'read, publish');
    expect(created.code).toBe(0);
    const id = /^key (k_[0-9a-f]{12}) created for "Desk: Sari" \(publish, read\)$/m.exec(created.stdout)![1]!;
    const secret = /^secret \(shown only now\): (kilat_[A-Za-z0-9_-]{43})$/m.exec(created.stdout)![1]!;
    expect((await stats(secret)).status).toBe(200);
    expect((await fetch(`${k.baseUrl}/api/keys`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(403);

    const list = await kilatCli(k.env, 'keys', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${id} +publish,read +active +"Desk: Sari" \\(created \\S+ by cli:\\S+\\)$`, 'm'));
    expect(list.stdout).toMatch(/^bootstrap +admin +active +PUBLISHER_TOKEN$/m);
    expect(list.stdout).not.toContain(secret);
    const json = await kilatCli(k.env, 'keys', 'list', '--json');
    const listed = JSON.parse(json.stdout) as { id: string; revokedAt: string | null }[];
    expect(listed.find((x) => x.id === id)).toMatchObject({ name: 'Desk: Sari', scopes: ['publish', 'read'], revokedAt: null });
    expect(json.stdout).not.toContain(secret);
    expect(json.stdout).not.toMatch(/"hash"/);

    const revoked = await kilatCli(k.env, 'keys', 'revoke', id);
    expect(revoked).toMatchObject({ code: 0, stdout: `key ${id} ("Desk: Sari") revoked\n` });
    expect((await stats(secret)).status).toBe(401);
    expect((await kilatCli(k.env, 'keys', 'revoke', id)).stdout).toBe(`key ${id} ("Desk: Sari") was already revoked\n`);
    expect((await kilatCli(k.env, 'keys', 'list')).stdout).toMatch(new RegExp(`^${id} +publish,read +revoked +\\S+Z "Desk: Sari"`, 'm'));
  });

  test('bad names, scopes and ids: usage errors (2) or not found (4), nothing created', async () => {
    const before = (await k.api.core.apiKeys.list()).length;
    const cases: [string[], number, RegExp][] = [
      [['keys', 'create', '--name', 'x', '--scopes', 'root'], 2, /"root" is not one of publish, read, subscribers, admin/],
      [['keys', 'create', '--name', 'x', '--scopes', ','], 2, /at least one of/],
      [['keys', 'create', '--name', 'x'.repeat(65), '--scopes', 'read'], 2, /at most 64 characters/],
      [['keys', 'create', '--name', 'bad\u001b[31mname', '--scopes', 'read'], 2, /control characters/],
      [['keys', 'create', '--name', 'bootstrap', '--scopes', 'read'], 2, /reserved/],
      [['keys', 'create', '--scopes', 'read'], 2, /--name/],
      [['keys', 'revoke', 'bootstrap'], 2, /PUBLISHER_TOKEN/],
      [['keys', 'revoke', 'k_000000000000'], 4, /no key k_000000000000/],
      [['keys', 'revoke', '../../etc'], 4, /no key/],
      [['audit', 'export', '--format', 'xml'], 2, /jsonl or csv/],
    ];
    for (const [argv, code, message] of cases) {
      const r = await kilatCli(k.env, ...argv);
      expect([argv.join(' '), r.code]).toEqual([argv.join(' '), code]);
      expect(r.stderr).toMatch(message);
    }
    expect((await k.api.core.apiKeys.list()).length).toBe(before);
  });

  test('audit export writes the whole log oldest first, as JSON lines or CSV, to a file or standard output', async () => {
    const made = await postJson(`${k.baseUrl}/api/keys`, { name: 'Export, "quoted"', scopes: ['read'] }, { authorization: `Bearer ${k.config.publisherToken}` });
    expect(made.status).toBe(201);
    const total = await k.api.core.audit.count();
    const jsonl = await kilatCli(k.env, 'audit', 'export');
    expect(jsonl.code).toBe(0);
    const lines = jsonl.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(total);
    expect(lines[lines.length - 1]).toMatchObject({ action: 'key.create', actor: { id: 'bootstrap', name: 'bootstrap' }, target: { name: 'Export, "quoted"' }, from: { via: 'api' } });
    expect(lines.map((l) => l.id)).toEqual([...lines.map((l) => l.id)].sort((a, b) => Number(a.split('-')[0]) - Number(b.split('-')[0]) || Number(a.split('-')[1]) - Number(b.split('-')[1])));

    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-audit-')), 'audit.csv');
    const csv = await kilatCli(k.env, 'audit', 'export', '--format', 'csv', '-o', out);
    expect(csv).toMatchObject({ code: 0, stderr: `exported ${total} audit entries to ${out}\n` });
    const rows = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('id,at,actor_id,actor_name,action,target,via,ip,user_agent');
    expect(rows).toHaveLength(total + 1);
    expect(rows[rows.length - 1]).toContain(',bootstrap,bootstrap,key.create,"keyId=');
    expect(rows[rows.length - 1]).toContain(';name=Export, ""quoted"";scopes=read",api,');
  });
});
