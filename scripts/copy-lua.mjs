#!/usr/bin/env node
// `npm run build`, after tsc: the Lua scripts (src/**/commands/**/*.lua) go beside the compiled
// JavaScript in dist/, where the loader (src/redis-scripts.ts) reads them from __dirname. Lua files
// left in dist/ by an earlier build are removed first, so a deleted script is not loaded from there.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const luaUnder = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.lua')) : []);
for (const file of luaUnder(path.join(root, 'dist', 'src'))) fs.rmSync(path.join(root, 'dist', 'src', file));
const sources = luaUnder(path.join(root, 'src'));
if (sources.length === 0) throw new Error('no .lua files found under src/');
for (const file of sources) {
  const to = path.join(root, 'dist', 'src', file);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(path.join(root, 'src', file), to);
}
