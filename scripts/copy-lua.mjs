#!/usr/bin/env node
// `npm run build`, after tsc: the Lua scripts (src/**/commands/**/*.lua) go beside the compiled
// JavaScript in dist/, where the loader (src/redis-scripts.ts) reads them from __dirname.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
let copied = 0;
for (const file of fs.readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' })) {
  if (!file.endsWith('.lua')) continue;
  const to = path.join(root, 'dist', 'src', file);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(path.join(root, 'src', file), to);
  copied++;
}
if (copied === 0) throw new Error('no .lua files found under src/');
