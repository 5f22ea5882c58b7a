import fs from 'node:fs';
import path from 'node:path';
import { SETTING_NAMES } from '../../src/config';

/** The variables named in the first column of the README's Configuration table. */
function readmeSettings(): string[] {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = /^## Configuration\n([\s\S]*?)^## /m.exec(readme)?.[1];
  if (!section) throw new Error('README has no "## Configuration" section');
  const names: string[] = [];
  for (const line of section.split('\n')) {
    const first = /^\|([^|]*)\|/.exec(line)?.[1];
    if (!first) continue;
    names.push(...[...first.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!));
  }
  return names;
}

describe('the README documents exactly the settings the schema reads', () => {
  test('every setting in the schema has a row in the README configuration table, and every row is a setting', () => {
    const documented = readmeSettings();
    expect(documented.length).toBeGreaterThan(0);
    expect(SETTING_NAMES.filter((n) => !documented.includes(n))).toEqual([]);
    expect(documented.filter((n) => !(SETTING_NAMES as string[]).includes(n))).toEqual([]);
  });

  test('no setting has two rows', () => {
    const documented = readmeSettings();
    expect(documented.filter((n, i) => documented.indexOf(n) !== i)).toEqual([]);
  });
});
