// Lets a child process run the TypeScript sources directly (`node -r ./test/helpers/ts-register.js
// workers/index.ts`), compiled on load by @swc/core like jest does, so tests that need real separate
// processes do not depend on `npm run build`.
const fs = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = function compileTs(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
