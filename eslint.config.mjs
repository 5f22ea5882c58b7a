// One job: every promise is awaited, returned or explicitly handled (`void` only where a failure
// is caught inside). A promise left floating turns a Redis error into an unhandled rejection.
// The type-aware rule needs TypeScript's JavaScript API, which TypeScript 7 does not ship yet:
// `typescript` here is @typescript/typescript6 (for this lint), `tsc` is TypeScript 7 (see package.json).
import tseslint from 'typescript-eslint';

export default tseslint.config({ ignores: ['dist/**', 'var/**', 'test-artifacts/**', 'coverage/**', 'node_modules/**'] }, {
  files: ['src/**/*.ts', 'workers/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'],
  languageOptions: {
    parser: tseslint.parser,
    parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
  },
  plugins: { '@typescript-eslint': tseslint.plugin },
  linterOptions: { reportUnusedDisableDirectives: 'off' },
  rules: {
    '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
  },
});
