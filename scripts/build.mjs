// Bundles the three programs with esbuild: the extension (CJS, vscode external; its fleet
// code in dist/fleet.js, loaded on demand), the worker (CJS CLI with a shebang) and the
// webview (browser IIFE + CSS). `--production` minifies;
// `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// Some dependencies (the Claude Agent SDK) are ESM and read import.meta.url; in a CJS
// bundle that is undefined, so give them the bundle's own file URL.
const importMetaShim = {
  banner: { js: "const __importMetaUrl = require('url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__importMetaUrl' },
};

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const targets = [
  {
    entry: 'extension/host/extension.ts',
    options: {
      ...common,
      ...importMetaShim,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: 'dist/extension.js',
      external: ['vscode'],
    },
  },
  {
    // The fleet code and @kubernetes/client-node (~5 MB): a bundle of its own that the
    // extension loads only when tavern.fleets is set, so other windows never parse it.
    entry: 'extension/core/fleet/fleets.ts',
    options: {
      ...common,
      ...importMetaShim,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: 'dist/fleet.js',
    },
  },
  {
    entry: 'worker/main.ts',
    options: {
      ...common,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: 'dist/worker.js',
      define: importMetaShim.define,
      banner: {
        js: `#!/usr/bin/env node\n${importMetaShim.banner.js}`,
      },
    },
  },
  {
    entry: 'media/main.ts',
    options: {
      ...common,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      outfile: 'dist/webview/main.js',
      loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file' },
    },
  },
];

mkdirSync(join(root, 'dist'), { recursive: true });
const contexts = [];
for (const { entry, options } of targets) {
  if (!existsSync(join(root, entry))) {
    console.warn(`build: skipping ${entry} (not written yet)`);
    continue;
  }
  const ctx = await esbuild.context({
    ...options,
    entryPoints: [join(root, entry)],
    absWorkingDir: root,
  });
  contexts.push(ctx);
  if (watch) await ctx.watch();
  else {
    await ctx.rebuild();
    await ctx.dispose();
  }
}

// Static webview assets: the stylesheet and the codicon font.
const codicons = join(root, 'node_modules/@vscode/codicons/dist');
if (existsSync(codicons)) {
  mkdirSync(join(root, 'dist/webview'), { recursive: true });
  cpSync(join(codicons, 'codicon.css'), join(root, 'dist/webview/codicon.css'));
  cpSync(join(codicons, 'codicon.ttf'), join(root, 'dist/webview/codicon.ttf'));
}
if (existsSync(join(root, 'media/styles.css'))) {
  cpSync(join(root, 'media/styles.css'), join(root, 'dist/webview/styles.css'));
}
if (!watch)
  console.log(
    `build: ${contexts.length} bundle(s) written to dist/${production ? ' (production)' : ''}`,
  );
