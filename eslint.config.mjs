// ESLint flat config. The layer rules of docs/architecture are lint errors here, so a wrong
// import fails CI instead of waiting for review.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noVscode = {
  name: 'vscode',
  message: 'This layer must run in plain Node: only extension/host/ may import vscode.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'coverage/**', '**/*.vsix'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    files: ['protocol/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            {
              group: ['**/extension/**', '**/worker/**', '**/media/**'],
              message: 'protocol/ depends on nothing of ours.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['worker/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            {
              group: ['**/extension/**', '**/media/**'],
              message: 'worker/ may import only protocol/ and libraries.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['extension/core/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            {
              // Jake runs an engine in the extension host, so the engine library
              // (worker/engines/) is shared; the worker's server and runtime are not.
              group: [
                '**/extension/host/**',
                '**/media/**',
                '**/worker/*',
                '!**/worker/engines',
                '**/worker/runtime/**',
              ],
              message:
                'extension/core/ must not depend on host adapters, the webview or the worker.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['media/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            {
              group: ['**/extension/**', '**/worker/**'],
              message: 'media/ (the webview) may import only protocol/ types.',
            },
          ],
        },
      ],
    },
  },
  {
    // The extension-API suite is CommonJS: VS Code's test runner require()s it.
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
