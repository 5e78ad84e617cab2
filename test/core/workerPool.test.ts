// The local worker as the extension runs it (a child of this Node, token in env), plus a
// second worker attached by URL; a crashed local worker restarts and re-attaches.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalWorker } from '../../extension/core/workers/localWorker';
import { WorkerPool } from '../../extension/core/workers/workerPool';
import { startWorker, WORKER_JS, type RunningWorker } from '../helpers/workerProcess';

const disposables: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const d of disposables.splice(0).reverse()) await d();
});

function localWorker(
  preferredPort?: number,
  workdir = mkdtempSync(join(tmpdir(), 'tavern-local-work-')),
): LocalWorker {
  const lw = new LocalWorker({
    ...(preferredPort ? { preferredPort } : {}),
    nodePath: process.execPath,
    workerScript: WORKER_JS,
    workdir,
    stateDir: mkdtempSync(join(tmpdir(), 'tavern-local-state-')),
    name: 'local',
    env: { TAVERN_CLAUDE_PREWARM: '0' },
    log: () => undefined,
  });
  disposables.push(() => lw.dispose());
  return lw;
}

describe('local worker and pool', () => {
  it('starts the local worker with the token in its environment, not its arguments', async () => {
    const lw = localWorker();
    const url = await lw.start();
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{43}$/);
    const token = new URLSearchParams(new URL(url).hash.slice(1)).get('token')!;
    const { readFileSync } = await import('node:fs');
    const cmdline = readFileSync(`/proc/${lw.pid}/cmdline`, 'utf8');
    expect(cmdline).not.toContain(token);
  });

  it('attaches the local worker and a remote one; health is reported per worker', async () => {
    const lw = localWorker();
    const pool = new WorkerPool({ clientName: 'test', clientVersion: '0' });
    disposables.push(() => pool.dispose());
    await pool.attach(await lw.start(), true);
    const remote: RunningWorker = await startWorker({
      args: ['--name', 'remote-box', '--max-agents', '3'],
    });
    disposables.push(() => remote.kill());
    await pool.attach(remote.attachUrl);
    const summaries = pool.summaries();
    expect(summaries.map((s) => [s.name, s.isLocal, s.status])).toEqual([
      ['local', true, 'connected'],
      ['remote-box', false, 'connected'],
    ]);
    expect(summaries[1]).toMatchObject({ maxAgents: 3, agents: 0 });
    expect(summaries.every((s) => !s.url.includes('token'))).toBe(true);
    await expect(pool.attach(remote.attachUrl)).rejects.toThrow(/already attached/);
    expect(pool.detach(summaries[1]!.id)).toBe(true);
    expect(pool.summaries()).toHaveLength(1);
  });

  it('gives clear errors for a bad URL and a wrong token, and keeps nothing half-attached', async () => {
    const pool = new WorkerPool({ clientName: 'test', clientVersion: '0' });
    disposables.push(() => pool.dispose());
    await expect(pool.attach('localhost:7420')).rejects.toThrow(
      /Unsupported scheme|not a URL|ws:\/\//,
    );
    const remote = await startWorker();
    disposables.push(() => remote.kill());
    await expect(
      pool.attach(remote.attachUrl.replace(/token=[^&]+/, 'token=wrong-token-0123456789')),
    ).rejects.toThrow(/refused the token/);
    expect(pool.summaries()).toHaveLength(0);
  });

  it('restarts a local worker that was killed on the same URL, and the pool reconnects', async () => {
    const lw = localWorker();
    const pool = new WorkerPool({
      clientName: 'test',
      clientVersion: '0',
      heartbeatMs: 200,
      deadAfterMs: 1000,
    });
    disposables.push(() => pool.dispose());
    const first = await lw.start();
    await pool.attach(first, true);
    const restarted = new Promise<string>((resolve) => lw.onUrl((url) => resolve(url)));
    const t0 = performance.now();
    process.kill(lw.pid!, 'SIGKILL');
    // Same port, same token: the same worker id, so its restored agents are found again.
    expect(await restarted).toBe(first);
    await expect.poll(() => pool.summaries()[0]?.status, { timeout: 10_000 }).toBe('connected');
    console.log(
      `local worker killed -> pool connected again in ${Math.round(performance.now() - t0)} ms`,
    );
  });

  it('starts on a free port when its last port is taken', async () => {
    const squatter = createServer();
    await new Promise<void>((done) => squatter.listen(0, '127.0.0.1', done));
    disposables.push(() => new Promise<void>((done) => squatter.close(() => done())));
    const taken = (squatter.address() as AddressInfo).port;
    const workdir = mkdtempSync(join(tmpdir(), 'tavern-local-work-'));
    const lw = localWorker(taken, workdir);
    const url = await lw.start();
    expect(new URL(url.replace(/#.*$/, '')).port).not.toBe(String(taken));
    // The attempt that failed on the taken port exited before start() moved on, and its exit
    // scheduled no restart (which would start a second worker later): one worker runs.
    expect(lw.restartPending).toBe(false);
    expect(workerProcessesIn(workdir)).toEqual([lw.pid]);
  });
});

/** Worker processes started with `workdir` (from /proc: these tests run on Linux). */
function workerProcessesIn(workdir: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return args.includes(WORKER_JS) && args.includes(workdir);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}
