// Flat config kept in .config/ (the top level holds only what a clone needs at its root); run with `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.local/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through libs/platform config.' }],
    },
  },
  {
    files: ['libs/platform/src/config.ts', 'libs/testkit/**', 'services/*/test/**', 'libs/*/test/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
