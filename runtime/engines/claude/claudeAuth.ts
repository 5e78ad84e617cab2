// Whether Claude Code can authenticate on this machine, without calling the API: an engine
// can be installed yet not ready. Credentials in the environment settle it at once; otherwise
// Claude Code's own `claude auth status --json` answers (it knows every place a login can
// live: ~/.claude/.credentials.json or $CLAUDE_CONFIG_DIR, the macOS keychain, a Console API
// key in .claude.json, apiKeyHelper and env in settings, Bedrock/Vertex/Foundry switches).
// It runs offline with CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1. An older CLI without that
// command falls back to reading the same files ourselves.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

export interface ClaudeAuth {
  ready: boolean;
  /** How it authenticates (api_key, oauth_token, claude.ai, third_party, api_key_helper, ...). */
  method?: string;
  /** Ready: where the credentials come from. Not ready: what to do. */
  message: string;
  /** What decided: the environment, Claude Code's status command, or its files. */
  checkedBy: 'env' | 'auth-status' | 'files';
}

export interface ClaudeAuthOptions {
  /** The Claude Code executable (from findClaude). */
  executable: string;
  /** The environment Claude Code will run with; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Give up on the status command after this long (default 15 s), then read the files. */
  timeoutMs?: number;
}

/** What a user does to make claude ready on a machine. */
export const SIGN_IN_HINT =
  'run `claude auth login` on the machine Claude Code runs on (or /login inside `claude`), or set ANTHROPIC_API_KEY';

/** The command that signs Claude Code in (a terminal runs it; it opens a browser). */
export function loginCommand(executable: string): { command: string; args: string[] } {
  return { command: executable, args: ['auth', 'login'] };
}

const CREDENTIAL_VARS: [string, string][] = [
  ['ANTHROPIC_API_KEY', 'api_key'],
  ['ANTHROPIC_AUTH_TOKEN', 'auth_token'],
  ['CLAUDE_CODE_OAUTH_TOKEN', 'oauth_token'],
];
const PROVIDER_SWITCHES: [string, string][] = [
  ['CLAUDE_CODE_USE_BEDROCK', 'Amazon Bedrock'],
  ['CLAUDE_CODE_USE_VERTEX', 'Google Vertex AI'],
  ['CLAUDE_CODE_USE_FOUNDRY', 'Microsoft Foundry'],
];

const isOn = (value: string | undefined): boolean =>
  !!value && !['0', 'false', 'no', 'off'].includes(value.trim().toLowerCase());

/** Credentials given in the environment: no process needed. */
export function authFromEnv(env: NodeJS.ProcessEnv): ClaudeAuth | undefined {
  // As Claude Code reads them: any non-empty value counts (a bad key fails as auth_required).
  for (const [name, method] of CREDENTIAL_VARS)
    if (env[name]) return { ready: true, method, message: `${name} is set`, checkedBy: 'env' };
  for (const [name, provider] of PROVIDER_SWITCHES)
    if (isOn(env[name]))
      return {
        ready: true,
        method: 'third_party',
        message: `${provider} (${name}); its own credentials are not checked here`,
        checkedBy: 'env',
      };
  return undefined;
}

const AuthStatusSchema = z.looseObject({
  loggedIn: z.boolean(),
  authMethod: z.string().optional(),
  apiProvider: z.string().optional(),
  apiKeySource: z.string().optional(),
  subscriptionType: z.string().nullish(),
  email: z.string().nullish(),
});

function runAuthStatus(
  executable: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<z.infer<typeof AuthStatusSchema>> {
  return new Promise((resolve, reject) => {
    execFile(
      executable,
      ['auth', 'status', '--json'],
      {
        env: { ...env, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' },
        timeout: timeoutMs,
        maxBuffer: 1024 * 1024,
        windowsHide: true,
      },
      // Signed out exits 1 with the same JSON: read stdout whatever the exit code.
      (error, stdout) => {
        try {
          resolve(AuthStatusSchema.parse(JSON.parse(stdout)));
        } catch (parseError) {
          reject(error ?? parseError);
        }
      },
    );
  });
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The places `claude auth status` reads, for a CLI too old to have the command. */
export function authFromFiles(env: NodeJS.ProcessEnv, home = homedir()): ClaudeAuth {
  const configDir = env.CLAUDE_CONFIG_DIR || join(home, '.claude');
  const globalConfig = env.CLAUDE_CONFIG_DIR
    ? join(env.CLAUDE_CONFIG_DIR, '.claude.json')
    : join(home, '.claude.json');
  const oauth = readJson(join(configDir, '.credentials.json'))?.claudeAiOauth as
    { accessToken?: unknown } | undefined;
  if (typeof oauth?.accessToken === 'string' && oauth.accessToken)
    return {
      ready: true,
      method: 'claude.ai',
      message: `signed in (${join(configDir, '.credentials.json')})`,
      checkedBy: 'files',
    };
  if (typeof readJson(globalConfig)?.primaryApiKey === 'string')
    return {
      ready: true,
      method: 'api_key',
      message: `Console API key in ${globalConfig}`,
      checkedBy: 'files',
    };
  const settings = readJson(join(configDir, 'settings.json'));
  if (typeof settings?.apiKeyHelper === 'string')
    return {
      ready: true,
      method: 'api_key_helper',
      message: `apiKeyHelper in ${join(configDir, 'settings.json')}`,
      checkedBy: 'files',
    };
  const fromSettings = authFromEnv((settings?.env ?? {}) as NodeJS.ProcessEnv);
  if (fromSettings)
    return {
      ...fromSettings,
      message: `${fromSettings.message} in settings.json`,
      checkedBy: 'files',
    };
  return {
    ready: false,
    message: `Claude Code is not signed in${process.platform === 'darwin' ? ' (the macOS keychain was not checked)' : ''}: ${SIGN_IN_HINT}.`,
    checkedBy: 'files',
  };
}

function describeStatus(status: z.infer<typeof AuthStatusSchema>): string {
  if (status.apiKeySource) return `${status.authMethod ?? 'API key'} from ${status.apiKeySource}`;
  if (status.authMethod === 'third_party') return `${status.apiProvider ?? 'cloud provider'}`;
  const plan = status.subscriptionType ? `, ${status.subscriptionType}` : '';
  const who = status.email ? ` as ${status.email}` : '';
  return `signed in with ${status.authMethod ?? 'a stored login'}${who}${plan}`;
}

/** Never rejects: a check that cannot run says why in `message`. */
export async function checkClaudeAuth(options: ClaudeAuthOptions): Promise<ClaudeAuth> {
  const env = options.env ?? process.env;
  const fromEnv = authFromEnv(env);
  if (fromEnv) return fromEnv;
  try {
    const status = await runAuthStatus(options.executable, env, options.timeoutMs ?? 15_000);
    return status.loggedIn
      ? {
          ready: true,
          ...(status.authMethod ? { method: status.authMethod } : {}),
          message: describeStatus(status),
          checkedBy: 'auth-status',
        }
      : {
          ready: false,
          message: `Claude Code is not signed in: ${SIGN_IN_HINT}.`,
          checkedBy: 'auth-status',
        };
  } catch {
    return authFromFiles(env, env.HOME || homedir());
  }
}
