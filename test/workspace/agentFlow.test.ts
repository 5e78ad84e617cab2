// Agent workspaces through the real protocol: real worker processes (separate state dirs
// standing for separate machines), a real coordinator, real git. Agents change files in
// worktrees of their own; their branches come back into the user's repository; apply is a
// 3-way merge that never loses the user's edits; a killed worker's committed work can still
// be pulled; in a multi-root window each project's agents work on their own project.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../../extension/core/coordinator/coordinator';
import { AgentReview } from '../../extension/core/workspace/agentReview';
import { WorkerPool } from '../../extension/core/workers/workerPool';
import { startWorker, type RunningWorker } from '../helpers/workerProcess';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

/** A user's project: a git repository with two committed files. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tavern-user-'));
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'bar.txt'), 'one\ntwo\nthree\n');
  writeFileSync(join(dir, 'notes.txt'), 'notes\n');
  // Some weight, so a sync that sends only what the worker lacks is visibly smaller.
  writeFileSync(join(dir, 'data.bin'), randomBytes(256 * 1024));
  git(dir, 'add', '.');
  git(dir, '-c', 'user.email=u@e.x', '-c', 'user.name=User', 'commit', '-qm', 'start');
  return dir;
}

async function worker(name: string, stateDir?: string, port?: number): Promise<RunningWorker> {
  const w = await startWorker({
    args: ['--name', name, ...(port ? ['--port', String(port)] : [])],
    ...(stateDir ? { stateDir } : {}),
    env: { TAVERN_WORKER_TOKEN: `token-of-${name}-0123456789abcdef` },
  });
  cleanups.push(() => w.kill());
  return w;
}

function setup(folder: string, logs: string[] = []) {
  const pool = new WorkerPool({
    clientName: 'test',
    clientVersion: '0',
    backoffMinMs: 50,
    backoffMaxMs: 200,
  });
  cleanups.push(() => pool.dispose());
  const coordinator = new Coordinator({
    folder,
    pool,
    defaultEngine: 'scripted',
    noWorkerFits: 'fail',
    log: (m) => logs.push(m),
  });
  cleanups.push(() => coordinator.dispose());
  const review = new AgentReview(coordinator, coordinator.workspace!);
  return { pool, coordinator, review };
}

function untilState(c: Coordinator, id: string, state: string): Promise<void> {
  if (c.find(id)?.state === state) return Promise.resolve();
  return new Promise((resolve) => c.onAgentChanged(() => c.find(id)?.state === state && resolve()));
}

describe('agent workspaces over the protocol', () => {
  it('two agents on two workers change one file: the first applies, the second conflicts, the user keeps their edit', async () => {
    const folder = project();
    const logs: string[] = [];
    const { pool, coordinator, review } = setup(folder, logs);
    const [w1, w2] = await Promise.all([worker('east'), worker('west')]);
    await pool.attach(w1.attachUrl);
    await pool.attach(w2.attachUrl);
    const a = await coordinator.summon({
      worker: 'east',
      assignment: '[[write bar.txt one\nTWO by A\nthree]] [[done changed line two]]',
    });
    const b = await coordinator.summon({
      worker: 'west',
      assignment: '[[write bar.txt one\ntwo by B, differently\nthree]] [[done changed it too]]',
    });
    await Promise.all([
      untilState(coordinator, a.id, 'done'),
      untilState(coordinator, b.id, 'done'),
    ]);
    // Nobody touched the user's folder; each worked on a branch of its own.
    expect(readFileSync(join(folder, 'bar.txt'), 'utf8')).toBe('one\ntwo\nthree\n');
    // The user edits another file meanwhile (uncommitted).
    writeFileSync(join(folder, 'notes.txt'), 'notes\nmy own edit\n');

    const first = await review.review(a.id);
    expect(first.branch).toMatch(/^tavern\/frodo-/);
    expect(first.files.map((f) => [f.path, f.status, f.additions, f.deletions])).toEqual([
      ['bar.txt', 'M', 1, 1],
    ]);
    const applied = await review.apply(a.id);
    expect(applied.status).toBe('applied');
    expect(readFileSync(join(folder, 'bar.txt'), 'utf8')).toBe('one\nTWO by A\nthree\n');

    const second = await review.apply(b.id);
    expect(second.status).toBe('conflicts');
    expect(second.conflicts).toEqual(['bar.txt']);
    expect(readFileSync(join(folder, 'bar.txt'), 'utf8')).toMatch(
      /<<<<<<<[\s\S]*TWO by A[\s\S]*two by B/,
    );
    expect(readFileSync(join(folder, 'notes.txt'), 'utf8')).toBe('notes\nmy own edit\n');
    // Undo takes the second apply back exactly; the user's edit is still there.
    await review.undo(b.id);
    expect(readFileSync(join(folder, 'bar.txt'), 'utf8')).toBe('one\nTWO by A\nthree\n');
    expect(readFileSync(join(folder, 'notes.txt'), 'utf8')).toBe('notes\nmy own edit\n');
    // The agents' branches are in the user's repository, the user's HEAD never moved.
    expect(
      git(folder, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/tavern').split('\n'),
    ).toHaveLength(2);
    expect(git(folder, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');

    // A later agent on the same worker: only the new commit travels.
    git(folder, 'add', 'notes.txt');
    git(folder, '-c', 'user.email=u@e.x', '-c', 'user.name=User', 'commit', '-qm', 'notes');
    const c = await coordinator.summon({ worker: 'east', assignment: '[[done nothing]]' });
    await untilState(coordinator, c.id, 'done');
    const synced = logs.filter((l) => l.startsWith('synced'));
    const bytes = synced.map((l) => Number(/: (\d+) bytes/.exec(l)?.[1]));
    console.log(`workspace syncs (bytes): ${synced.join(' | ')}`);
    expect(bytes[0]).toBeGreaterThan(256 * 1024);
    expect(bytes[2]).toBeLessThan(4 * 1024); // the new commit and snapshot, not the project
  });

  it('a worker killed with SIGKILL mid-turn: its agent’s committed work can still be pulled', async () => {
    const folder = project();
    const { pool, coordinator, review } = setup(folder);
    const stateDir = mkdtempSync(join(tmpdir(), 'tavern-killed-state-'));
    const first = await worker('far', stateDir);
    await pool.attach(first.attachUrl);
    const agent = await coordinator.summon({
      assignment: '[[write done.txt turn one]] [[done first turn]]',
    });
    await untilState(coordinator, agent.id, 'done');
    // The second turn writes and then hangs; the worker dies in the middle of it.
    await coordinator.send(agent.id, '[[write half.txt never committed]] [[wait 60000]]');
    await untilState(coordinator, agent.id, 'working');
    await first.kill();
    await worker('far', stateDir, first.port);
    await untilState(coordinator, agent.id, 'interrupted');
    const r = await review.review(agent.id);
    expect(r.files.map((f) => f.path)).toEqual(['done.txt']);
    await review.apply(agent.id);
    expect(readFileSync(join(folder, 'done.txt'), 'utf8')).toBe('turn one\n');
  });

  it('multi-root: each project’s agents work on their own project, on a worker that shares the disk', async () => {
    const left = project();
    const right = project();
    const pool = new WorkerPool({ clientName: 'test', clientVersion: '0' });
    cleanups.push(() => pool.dispose());
    const local = await worker('local');
    const make = (folder: string): Coordinator => {
      const c = new Coordinator({
        folder,
        pool,
        defaultEngine: 'scripted',
        noWorkerFits: 'fail',
        log: () => undefined,
      });
      cleanups.push(() => c.dispose());
      return c;
    };
    const l = make(left);
    const r = make(right);
    await pool.attach(local.attachUrl, true);
    const la = await l.summon({ assignment: '[[write left-only.txt from the left]] [[done l]]' });
    const ra = await r.summon({ assignment: '[[write right-only.txt from the right]] [[done r]]' });
    await Promise.all([untilState(l, la.id, 'done'), untilState(r, ra.id, 'done')]);
    // Made straight from each user's repository: the branch is there without a pull.
    const branches = (repo: string): string =>
      git(repo, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/tavern');
    const lb = branches(left);
    const rb = branches(right);
    expect(lb).toMatch(/tavern\/frodo-/);
    expect(rb).toMatch(/tavern\/frodo-/);
    expect(git(left, 'show', '--stat', '--format=', lb.trim())).toContain('left-only.txt');
    expect(git(right, 'show', '--stat', '--format=', rb.trim())).toContain('right-only.txt');
    expect(git(left, 'show', '--stat', '--format=', lb.trim())).not.toContain('right-only');
  });
});
