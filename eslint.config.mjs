// ESLint flat config. The layer rules of docs/architecture are lint errors here, so a wrong
// import fails CI instead of waiting for review.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noVscode = {
  name: 'vscode',
  message: 'This layer must run in plain Node: only extension/host/ may import vscode.',
};

/** One lint block per layer: the imports it may not make (architecture.md, "Layer rules"). */
function layer(files, message, forbidden, { allowVscode = false } = {}) {
  return {
    files: [files],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: allowVscode ? [] : [noVscode],
          patterns: [{ group: forbidden, message }],
        },
      ],
    },
  };
}

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
        clearImmediate: 'readonly',
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
  layer('protocol/**/*.ts', 'protocol/ depends on nothing of ours.', [
    '**/extension/**',
    '**/worker/**',
    '**/runtime/**',
    '**/media/**',
  ]),
  layer('runtime/**/*.ts', 'runtime/ (the agent runtime) may import only protocol/.', [
    '**/extension/**',
    '**/worker/**',
    '**/media/**',
  ]),
  layer(
    'worker/**/*.ts',
    'worker/ (a network shell around runtime/) may import runtime/ and protocol/.',
    ['**/extension/**', '**/media/**'],
  ),
  layer(
    'extension/core/**/*.ts',
    'extension/core/ must not depend on host adapters, the webview or the worker program.',
    ['**/extension/host/**', '**/media/**', '**/worker/**'],
  ),
  layer(
    'extension/host/**/*.ts',
    'extension/host/ may import everything but the webview.',
    ['**/media/**'],
    { allowVscode: true },
  ),
  layer('media/**/*.ts', 'media/ (the webview) may import only protocol/ types.', [
    '**/extension/**',
    '**/worker/**',
    '**/runtime/**',
  ]),
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
