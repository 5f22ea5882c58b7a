#!/usr/bin/env node
'use strict';
// The CLI is TypeScript compiled by `npm run build`; this stub only finds it.
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('kilat: the CLI is not built yet; run `npm run build` in ' + path.join(__dirname, '..') + '\n');
  process.exit(1);
}
require(entry).runCliProcess(process.argv.slice(2));
