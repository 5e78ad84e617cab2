// Readiness: an engine can be installed yet unable to run. claude is ready when Claude Code
// is signed in or has credentials, decided by the REAL CLI's `claude auth status` in temp
// HOMEs (no network), or by the environment alone; anthropic needs ANTHROPIC_API_KEY;
// scripted is always ready.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isEngineReady } from '../../protocol/wire';
import { AnthropicEngine } from '../../runtime/engines/anthropic/anthropicEngine';
import { checkClaudeAuth } from '../../runtime/engines/claude/claudeAuth';
import { ClaudeEngine } from '../../runtime/engines/claude/claudeEngine';
import { sdkPlatformPackage } from '../../runtime/engines/claude/platform';
import { ScriptedEngine } from '../../runtime/engines/scripted';
import { createLogger } from '../../runtime/log';

const CLAUDE = resolve('node_modules', sdkPlatformPackage(), 'claude');
const quiet = createLogger('error', () => undefined);

/** A fresh HOME and a minimal environment with no credentials in it. */
function bareEnv(extra: NodeJS.ProcessEnv = {}): { home: string; env: NodeJS.ProcessEnv } {
  const home = mkdtempSync(join(tmpdir(), 'tavern-auth-home-'));
  return { home, env: { PATH: '/usr/bin:/bin', HOME: home, ...extra } };
}

function credentials(configDir: string): void {
  mkdirSync(configDir, { recursive: true });
  writeFileSync(
    join(configDir, '.credentials.json'),
    JSON.stringify({
      claudeAiOauth: {
        accessToken: 'sk-ant-oat01-fake',
        refreshToken: 'sk-ant-ort01-fake',
        expiresAt: 4102444800000,
        scopes: ['user:inference', 'user:profile'],
        subscriptionType: 'pro',
      },
    }),
  );
}

describe.skipIf(!existsSync(CLAUDE))('checkClaudeAuth with the real CLI', () => {
  it('is ready at once from credentials in the environment (no process started)', async () => {
    for (const [name, method] of [
      ['ANTHROPIC_API_KEY', 'api_key'],
      ['ANTHROPIC_AUTH_TOKEN', 'auth_token'],
      ['CLAUDE_CODE_OAUTH_TOKEN', 'oauth_token'],
      ['CLAUDE_CODE_USE_BEDROCK', 'third_party'],
      ['CLAUDE_CODE_USE_VERTEX', 'third_party'],
    ] as const) {
      const { env } = bareEnv({ [name]: '1' });
      // A missing executable proves nothing ran.
      const auth = await checkClaudeAuth({ executable: '/nonexistent/claude', env });
      expect(auth).toMatchObject({ ready: true, method, checkedBy: 'env' });
    }
  });

  it('is not ready in an empty HOME, and says how to sign in', async () => {
    const { env } = bareEnv({ CLAUDE_CODE_USE_BEDROCK: '0', ANTHROPIC_API_KEY: '' });
    const auth = await checkClaudeAuth({ executable: CLAUDE, env });
    expect(auth).toEqual({
      ready: false,
      message:
        'Claude Code is not signed in: run `claude auth login` on the machine Claude Code runs on (or /login inside `claude`), or set ANTHROPIC_API_KEY.',
      checkedBy: 'auth-status',
    });
  });

  it('is ready with a stored login, in ~/.claude or $CLAUDE_CONFIG_DIR', async () => {
    const inHome = bareEnv();
    credentials(join(inHome.home, '.claude'));
    expect(await checkClaudeAuth({ executable: CLAUDE, env: inHome.env })).toMatchObject({
      ready: true,
      method: 'claude.ai',
      message: 'signed in with claude.ai, pro',
      checkedBy: 'auth-status',
    });
    const elsewhere = bareEnv();
    const configDir = join(elsewhere.home, 'config');
    credentials(configDir);
    expect(
      await checkClaudeAuth({
        executable: CLAUDE,
        env: { ...elsewhere.env, CLAUDE_CONFIG_DIR: configDir },
      }),
    ).toMatchObject({ ready: true, method: 'claude.ai' });
  });

  it('is ready with an apiKeyHelper in the user settings', async () => {
    const { home, env } = bareEnv();
    mkdirSync(join(home, '.claude'));
    writeFileSync(join(home, '.claude', 'settings.json'), '{"apiKeyHelper":"echo sk-x"}');
    expect(await checkClaudeAuth({ executable: CLAUDE, env })).toMatchObject({
      ready: true,
      method: 'api_key_helper',
      checkedBy: 'auth-status',
    });
  });
});

describe('checkClaudeAuth without a status command', () => {
  /** An old CLI: `auth status` prints no JSON. */
  function oldCli(): string {
    const dir = mkdtempSync(join(tmpdir(), 'tavern-old-cli-'));
    const path = join(dir, 'claude');
    writeFileSync(path, '#!/bin/sh\necho "error: unknown command auth" >&2\nexit 1\n');
    chmodSync(path, 0o755);
    return path;
  }

  it("reads Claude Code's files itself", async () => {
    const executable = oldCli();
    const signedOut = bareEnv();
    expect(await checkClaudeAuth({ executable, env: signedOut.env })).toMatchObject({
      ready: false,
      checkedBy: 'files',
      message: expect.stringMatching(/not signed in.*claude auth login.*ANTHROPIC_API_KEY/),
    });
    const signedIn = bareEnv();
    credentials(join(signedIn.home, '.claude'));
    expect(await checkClaudeAuth({ executable, env: signedIn.env })).toMatchObject({
      ready: true,
      method: 'claude.ai',
      checkedBy: 'files',
    });
    const consoleKey = bareEnv();
    writeFileSync(join(consoleKey.home, '.claude.json'), '{"primaryApiKey":"sk-ant-api03-x"}');
    expect(await checkClaudeAuth({ executable, env: consoleKey.env })).toMatchObject({
      ready: true,
      method: 'api_key',
    });
  });
});

describe('engine probes report ready', () => {
  const saved = process.env.ANTHROPIC_API_KEY;
  afterEach(() => {
    if (saved === undefined) delete process.env.ANTHROPIC_API_KEY;
    else process.env.ANTHROPIC_API_KEY = saved;
  });

  it.skipIf(!existsSync(CLAUDE))('claude: available but not ready without a login', async () => {
    const { home } = bareEnv();
    const engine = new ClaudeEngine({
      claudePath: CLAUDE,
      log: quiet,
      env: { HOME: home, ANTHROPIC_API_KEY: '', CLAUDE_CONFIG_DIR: join(home, '.claude') },
    });
    const status = await engine.probe();
    expect(status).toEqual({
      name: 'claude',
      available: true,
      ready: false,
      reason: expect.stringMatching(/^Claude Code is not signed in: run `claude auth login`/),
      detail: `Claude Code at ${CLAUDE} (the configured path)`,
    });
    expect(isEngineReady(status)).toBe(false);
    const withKey = new ClaudeEngine({
      claudePath: CLAUDE,
      log: quiet,
      env: { HOME: home, ANTHROPIC_API_KEY: 'sk-ant-from-secret-storage' },
    });
    expect(await withKey.probe()).toMatchObject({
      available: true,
      ready: true,
      detail: `Claude Code at ${CLAUDE} (the configured path), ANTHROPIC_API_KEY is set`,
    });
  });

  it('claude: neither available nor ready when no executable is found', async () => {
    const status = await new ClaudeEngine({
      claudePath: '/nonexistent/claude',
      log: quiet,
    }).probe();
    expect(status).toMatchObject({ available: false, ready: false });
    expect(status.reason).toMatch(/\/nonexistent\/claude does not exist/);
  });

  it('anthropic: ready only with ANTHROPIC_API_KEY; scripted: always', async () => {
    delete process.env.ANTHROPIC_API_KEY;
    expect(await new AnthropicEngine().probe()).toMatchObject({ ready: false });
    process.env.ANTHROPIC_API_KEY = 'sk-ant-x';
    expect(await new AnthropicEngine().probe()).toMatchObject({ available: true, ready: true });
    expect(await new ScriptedEngine().probe()).toMatchObject({ available: true, ready: true });
  });

  it('a status without `ready` (an older worker) counts as ready when available', () => {
    expect(isEngineReady({ available: true })).toBe(true);
    expect(isEngineReady({ available: false })).toBe(false);
    expect(isEngineReady({ available: true, ready: false })).toBe(false);
  });
});
