import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
const check = (dir?: string) => spawnSync(process.execPath, [path.join(root, 'scripts', 'check-deps.mjs'), ...(dir ? [dir] : [])], { encoding: 'utf8' });

describe('dependency check without the registry (scripts/check-deps.mjs)', () => {
  test('this project passes: every copy of a watched package is at or above its minimum, every dependency pinned', () => {
    const r = check();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('mailparser\'s own nodemailer is the project\'s (the override), not the 10.3.1 it asks for', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
    expect(lock.packages['node_modules/mailparser/node_modules/nodemailer']).toBeUndefined();
    expect(lock.packages['node_modules/nodemailer'].version).toBe(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).dependencies.nodemailer);
  });

  test('an install script that allowScripts does not decide fails, naming the package and the command that decides it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-deps-'));
    try {
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ dependencies: { bullmq: '6.7.0' }, allowScripts: { '@swc/core': true } }));
      fs.writeFileSync(
        path.join(dir, 'package-lock.json'),
        JSON.stringify({ packages: { '': {}, 'node_modules/bullmq': { version: '6.7.0' }, 'node_modules/msgpackr-extract': { version: '3.0.7', hasInstallScript: true }, 'node_modules/@swc/core': { version: '1.16.22', hasInstallScript: true } } }),
      );
      const r = check(dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('msgpackr-extract has an install script that package.json\'s allowScripts neither approves nor denies');
      expect(r.stderr).not.toContain('@swc/core has an install script');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a nested copy below its minimum, or a range instead of a pin, fails with the advisory named', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-deps-'));
    try {
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ dependencies: { mailparser: '3.14.2', express: '^5.3.0' } }));
      fs.writeFileSync(
        path.join(dir, 'package-lock.json'),
        JSON.stringify({ packages: { '': {}, 'node_modules/mailparser': { version: '3.14.2' }, 'node_modules/mailparser/node_modules/nodemailer': { version: '10.3.1' } } }),
      );
      const r = check(dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('node_modules/mailparser/node_modules/nodemailer: nodemailer@10.3.1 is below 10.4.1');
      expect(r.stderr).toContain('GHSA-2x7j-588g-ccc2');
      expect(r.stderr).toContain('dependencies.express: "^5.3.0" is not one exact version');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
