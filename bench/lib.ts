// Shared bench helpers: percentiles, a readable table, the one-JSON-line result, and real
// worker processes. Benchmarks compare against a baseline measured in the same run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseAttachUrl } from '../extension/core/workers/attachUrl';
import { WorkerClient, type ConnectedWorker } from '../extension/core/workers/workerClient';

export const ROOT = process.cwd();

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? NaN;
}

export function summarize(samples: number[]): {
  p50: number;
  p99: number;
  mean: number;
  n: number;
} {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
  return {
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    mean: round(mean),
    n: samples.length,
  };
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function table(title: string, rows: Record<string, string | number | boolean>[]): void {
  console.log(`\n${title}`);
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0] ?? {});
  const width = columns.map((c) =>
    Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells.map((c, i) => c.padStart(width[i] ?? 0)).join('  ');
  console.log(line(columns));
  console.log(line(width.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(columns.map((c) => String(row[c] ?? ''))));
}

/** The last line of every benchmark: one JSON object with its figures. */
export function result(name: string, figures: Record<string, unknown>): void {
  console.log(
    JSON.stringify({
      bench: name,
      machine: `${process.platform}-${process.arch} node ${process.version}`,
      ...figures,
    }),
  );
}

export interface BenchWorker {
  url: string;
  proc: ChildProcess;
  /** Its --state-dir (journals under journal/<agent id>.jsonl). */
  stateDir: string;
  kill(): Promise<void>;
}

export async function startBenchWorker(
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<BenchWorker> {
  const stateDir = mkdtempSync(join(tmpdir(), 'tavern-bench-'));
  const proc = spawn(
    process.execPath,
    [
      resolve(ROOT, 'dist/worker.js'),
      '--port',
      '0',
      '--state-dir',
      stateDir,
      '--workdir',
      stateDir,
      '--max-agents',
      '100000',
      '--log-level',
      'warn',
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { TAVERN_CLAUDE_PREWARM: '0', ...process.env, ...env },
    },
  );
  const exited = new Promise<void>((done) => proc.once('exit', () => done()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line.startsWith('TAVERN_WORKER_URL='))
        resolveUrl(line.slice('TAVERN_WORKER_URL='.length));
    });
    void exited.then(() => reject(new Error('worker exited before printing its URL')));
  });
  return {
    url,
    proc,
    stateDir,
    async kill() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

export function benchClient(
  url: string,
  options: Partial<ConstructorParameters<typeof WorkerClient>[1]> = {},
): WorkerClient {
  return new WorkerClient(parseAttachUrl(url), {
    clientName: 'bench',
    clientVersion: '0',
    heartbeatMs: 5_000,
    deadAfterMs: 60_000,
    ...options,
  });
}

export async function connect(url: string): Promise<ConnectedWorker> {
  return benchClient(url).connect();
}

/** A raw ws server process (the baseline): `echo` answers each frame, `flood N BYTES` streams. */
export async function startRawServer(): Promise<{ port: number; kill(): Promise<void> }> {
  const proc = spawn(process.execPath, [resolve(ROOT, 'dist/bench/rawServer.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((done) => proc.once('exit', () => done()));
  const port = await new Promise<number>((resolvePort) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const m = /^PORT=(\d+)/.exec(line);
      if (m) resolvePort(Number(m[1]));
    });
  });
  return {
    port,
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
