// The one way workspace code runs git: execFile (no shell), a clean environment (no
// inherited GIT_DIR/GIT_INDEX_FILE, no hooks, no prompts, no pager), and errors that quote
// git and say what to do next.
import { execFile, spawn } from 'node:child_process';
import { WorkspaceError } from './errors';

export interface GitOptions {
  /** Working directory of the command (a repository, worktree or bare mirror). */
  cwd: string;
  /** Extra environment (GIT_INDEX_FILE, GIT_DIR, GIT_WORK_TREE...). */
  env?: Record<string, string>;
  /** Written to git's stdin. */
  input?: string | Buffer;
  /** Exit codes that are answers, not failures (e.g. 1 for `diff --quiet`). */
  okCodes?: number[];
  /** What we were doing, for the error message ("making the snapshot for Frodo"). */
  doing?: string;
  /** What the user or caller should do when it fails. */
  hint?: string;
}

/** TAVERN_GIT_TRACE=1 prints every git call with its duration on stderr (for profiling). */
const TRACE = process.env.TAVERN_GIT_TRACE === '1';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Variables from our own environment that would redirect git to another repository. */
const INHERITED_GIT_VARS = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
];

/** Identity for the commits Tavern makes (snapshots, turn commits, backups). */
export const TAVERN_IDENTITY = {
  GIT_AUTHOR_NAME: 'Tavern',
  GIT_AUTHOR_EMAIL: 'tavern@localhost',
  GIT_COMMITTER_NAME: 'Tavern',
  GIT_COMMITTER_EMAIL: 'tavern@localhost',
};

export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of INHERITED_GIT_VARS) delete env[name];
  return {
    ...env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_PAGER: 'cat',
    GIT_OPTIONAL_LOCKS: '0',
    LC_ALL: 'C',
    ...extra,
  };
}

/**
 * Config every call carries: hooks never run (a repository's hooks are code we did not
 * agree to run), no signing prompts, no auto gc while we hold temporary refs.
 */
const SAFE_CONFIG = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'commit.gpgSign=false',
  '-c',
  'gc.auto=0',
  '-c',
  'maintenance.auto=false',
];

function describe(args: string[]): string {
  const shown = args.map((a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a)).join(' ');
  return `git ${shown.length > 200 ? shown.slice(0, 200) + '...' : shown}`;
}

function failure(args: string[], options: GitOptions, result: GitResult | Error): WorkspaceError {
  if (result instanceof Error) {
    const missing = (result as NodeJS.ErrnoException).code === 'ENOENT';
    return new WorkspaceError(
      missing ? 'GitMissing' : 'GitFailed',
      missing
        ? 'git was not found on PATH. Install git (2.38 or newer) on this machine and restart.'
        : `${describe(args)} could not run in ${options.cwd}: ${result.message}`,
    );
  }
  const said = result.stderr.trim() || result.stdout.trim() || `exit code ${result.code}`;
  const doing = options.doing ? `While ${options.doing}: ` : '';
  const hint = options.hint ? ` ${options.hint}` : '';
  return new WorkspaceError(
    'GitFailed',
    `${doing}${describe(args)} failed in ${options.cwd} (exit ${result.code}): ${said}.${hint}`,
    { args, code: result.code, stderr: result.stderr },
  );
}

/** Runs git and resolves with its output; rejects with a WorkspaceError unless the code is ok. */
export function git(args: string[], options: GitOptions): Promise<GitResult> {
  const ok = new Set([0, ...(options.okCodes ?? [])]);
  const started = TRACE ? performance.now() : 0;
  return new Promise<GitResult>((resolve, reject) => {
    const child = execFile(
      'git',
      [...SAFE_CONFIG, ...args],
      {
        cwd: options.cwd,
        env: gitEnv(options.env),
        maxBuffer: 512 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const code =
          error && typeof (error as { code?: unknown }).code === 'number'
            ? ((error as { code: number }).code as number)
            : error
              ? -1
              : 0;
        if (error && code === -1) return reject(failure(args, options, error));
        const result = { code, stdout, stderr };
        if (!ok.has(code)) return reject(failure(args, options, result));
        resolve(result);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  }).finally(() => {
    if (TRACE)
      process.stderr.write(
        `[git ${Math.round(performance.now() - started)} ms] ${describe(args)}\n`,
      );
  });
}

/** Runs git and returns its trimmed stdout. */
export async function gitText(args: string[], options: GitOptions): Promise<string> {
  return (await git(args, options)).stdout.trim();
}

/**
 * Runs git and keeps at most `maxBytes` of stdout, stopping git once it has written more
 * (for bounded patches of huge diffs).
 */
export function gitBounded(
  args: string[],
  options: GitOptions & { maxBytes: number },
): Promise<{ stdout: Buffer; cut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...SAFE_CONFIG, ...args], {
      cwd: options.cwd,
      env: gitEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let cut = false;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (cut) return;
      chunks.push(chunk);
      size += chunk.length;
      if (size > options.maxBytes) {
        cut = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', (error) => reject(failure(args, options, error)));
    child.once('close', (code) => {
      const stdout = Buffer.concat(chunks);
      if (cut) return resolve({ stdout: stdout.subarray(0, options.maxBytes), cut });
      if (code !== 0) {
        return reject(failure(args, options, { code: code ?? -1, stdout: '', stderr }));
      }
      resolve({ stdout, cut });
    });
  });
}
