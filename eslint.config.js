// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Import layering, as in VS Code: each runtime layer may import only the layers below it. */
const layer = (files, patterns, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
  },
});

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'native/*/build/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // A native module's loader is CommonJS: require() is how a .node file is loaded.
    files: ['native/**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  layer(
    ['shared/**'],
    ['electron', 'node:*', '**/electron/**', '**/renderer/**', '**/test/**'],
    'shared/ is the contract: it imports nothing of ours and no runtime (Node or Electron).',
  ),
  layer(
    ['electron/engine/**'],
    [
      'electron',
      'electron/*',
      '**/main/**',
      '**/preload/**',
      '**/server/**',
      '**/cli/**',
      '**/renderer/**',
    ],
    'electron/engine is plain Node: it never imports electron, the shells around it, or the renderer.',
  ),
  layer(
    ['electron/cli/**', 'electron/server/**', 'electron/api/**'],
    ['electron', 'electron/*', '**/main/**', '**/preload/**', '**/renderer/**'],
    'The CLI and headless server run without Electron.',
  ),
  layer(
    ['renderer/**'],
    ['electron', 'electron/*', 'node:*', '**/electron/**'],
    'renderer/ runs in a sandboxed browser page: it imports shared/ and the DOM only.',
  ),
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
