// Starts a real `tavern-worker` (dist/worker.js, built by `npm test` first) on port 0 and
// waits for its attach URL line. Every test that starts one stops it in afterEach/afterAll.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const WORKER_JS = resolve(__dirname, '../../dist/worker.js');

export interface RunningWorker {
  /** The full attach URL as printed (with #token=...). */
  readonly attachUrl: string;
  /** ws(s)://host:port/ without the fragment. */
  readonly baseUrl: string;
  readonly token: string;
  readonly fingerprint: string | undefined;
  readonly port: number;
  readonly stateDir: string;
  readonly proc: ChildProcess;
  /** Everything the worker wrote to stderr so far (its log). */
  stderr(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

export interface StartWorkerOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Defaults to a fresh temp dir. */
  stateDir?: string;
  workdir?: string;
}

export async function startWorker(options: StartWorkerOptions = {}): Promise<RunningWorker> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'tavern-state-'));
  const workdir = options.workdir ?? mkdtempSync(join(tmpdir(), 'tavern-work-'));
  const args = [
    WORKER_JS,
    '--port',
    '0',
    '--state-dir',
    stateDir,
    '--workdir',
    workdir,
    ...(options.args ?? []),
  ];
  const proc = spawn(process.execPath, args, {
    // Spare Claude processes cost ~250 MB each: only tests that exercise them turn pre-warm on.
    env: { TAVERN_CLAUDE_PREWARM: '0', ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)));

  const attachUrl = await new Promise<string>((resolveUrl, reject) => {
    const lines = createInterface({ input: proc.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith('TAVERN_WORKER_URL='))
        resolveUrl(line.slice('TAVERN_WORKER_URL='.length));
    });
    void exited.then((code) =>
      reject(new Error(`worker exited (${code}) before printing its URL:\n${stderr}`)),
    );
  });
  const url = new URL(attachUrl);
  const fragment = new URLSearchParams(url.hash.slice(1));
  const token = fragment.get('token') ?? '';
  const fingerprint = fragment.get('fp') ?? undefined;
  url.hash = '';
  return {
    attachUrl,
    baseUrl: url.toString(),
    token,
    fingerprint,
    port: Number(url.port),
    stateDir,
    proc,
    stderr: () => stderr,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}
