#!/usr/bin/env node
// Dependency check that needs no registry: every installed package (package-lock.json, nested
// copies included) is at or above its minimum safe version (deps/minimum-safe-versions.json), and
// every direct dependency is pinned to one exact version. Run by `npm test` and so by CI.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

// The project to check (its package.json and package-lock.json): this one unless a folder is given.
const here = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = path.resolve(process.argv[2] ?? here);
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const list = JSON.parse(fs.readFileSync(path.join(here, 'deps', 'minimum-safe-versions.json'), 'utf8'));

const problems = [];
let checked = 0;
for (const [where, entry] of Object.entries(lock.packages ?? {})) {
  if (!where.includes('node_modules/') || !entry.version) continue;
  const name = entry.name ?? where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const rule = list.packages[name];
  if (!rule) continue;
  checked++;
  const version = semver.coerce(entry.version, { includePrerelease: true })?.version ?? entry.version;
  const line = list.lines?.[name]?.[String(semver.major(version))];
  const min = line ?? rule.min;
  if (semver.lt(version, min)) problems.push(`${where}: ${name}@${entry.version} is below ${min} (${rule.advisories.join('; ')})`);
}
for (const field of ['dependencies', 'devDependencies']) {
  for (const [name, spec] of Object.entries(manifest[field] ?? {})) {
    const exact = spec.startsWith('npm:') ? spec.slice(spec.lastIndexOf('@') + 1) : spec;
    if (!semver.valid(exact)) problems.push(`package.json ${field}.${name}: "${spec}" is not one exact version (pin what you choose)`);
  }
}
if (problems.length > 0) {
  console.error(`check-deps: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-deps: ${checked} installed copies of ${Object.keys(list.packages).length} watched packages at or above their minimum safe versions; every direct dependency pinned`);
