import { spawnSync } from 'node:child_process';
import path from 'node:path';

describe('crash policy', () => {
  const script = (body: string) =>
    spawnSync(process.execPath, ['-r', path.join(__dirname, 'helpers', 'ts-register.js'), '-e', body], { encoding: 'utf8', timeout: 20_000, cwd: path.join(__dirname, '..') });
  const prelude = `const pino = require('pino'); const { installCrashPolicy } = require('./src/crash-policy.ts'); installCrashPolicy(pino(pino.destination({ dest: 1, sync: true })));`;

  test('an unhandled rejection is logged with its stack and the process carries on', () => {
    const r = script(`${prelude} Promise.reject(new Error('boom in a forgotten promise')); setTimeout(() => { console.log('still serving'); process.exit(0); }, 100);`);
    expect(r.status).toBe(0);
    const line = JSON.parse(r.stdout.split('\n').find((l) => l.includes('unhandled promise rejection'))!);
    expect(line).toMatchObject({ level: 50, err: { message: 'boom in a forgotten promise' } });
    expect(line.err.stack).toContain('boom in a forgotten promise');
    expect(r.stdout).toContain('still serving');
  });

  test('an uncaught exception is logged and the process exits 1', () => {
    const r = script(`${prelude} setTimeout(() => { throw new Error('half-done state'); }, 10); setTimeout(() => console.log('should not print'), 500);`);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('uncaught exception');
    expect(r.stdout).not.toContain('should not print');
  });
});
