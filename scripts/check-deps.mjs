#!/usr/bin/env node
// Dependency check that needs no registry: every installed package (package-lock.json, nested
// copies included) is at or above its minimum safe version (deps/minimum-safe-versions.json), and
// every direct dependency is pinned to one exact version, and every package with an install script
// is decided in package.json's `allowScripts` (npm 11 skips undecided ones and warns about each on
// every install). Run by `npm test` and so by CI.
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
const allowScripts = manifest.allowScripts ?? {};
// allowScripts keys are `name` or `name@version`; the lockfile carries no resolved URLs, so npm
// matches only name-only entries here (the versions are pinned by the lockfile itself).
const decided = new Set(Object.keys(allowScripts).map((k) => k.replace(/(.)@.*$/, '$1')));
for (const [where, entry] of Object.entries(lock.packages ?? {})) {
  if (!where.includes('node_modules/') || !entry.hasInstallScript) continue;
  const name = entry.name ?? where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
  if (!decided.has(name)) problems.push(`${where}: ${name} has an install script that package.json's allowScripts neither approves nor denies (npm install-scripts approve|deny ${name})`);
}
if (problems.length > 0) {
  console.error(`check-deps: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-deps: ${checked} installed copies of ${Object.keys(list.packages).length} watched packages at or above their minimum safe versions; every direct dependency pinned; every install script decided`);
