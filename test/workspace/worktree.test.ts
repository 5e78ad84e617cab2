// The worker side on its own: a mirror fed by a bundle made with plain git, a worktree per
// agent on a branch that never collides, one commit per turn, changes with binary files,
// a bounded patch, removal that refuses to lose work, and the start-up sweep.
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readChunks } from '../../runtime/workspace/chunks';
import { isWorkspaceError } from '../../runtime/workspace/errors';
import { confinedPath, checkRelativePath } from '../../runtime/workspace/paths';
import { WorkerWorkspaces } from '../../runtime/workspace/workerWorkspaces';
import { cleanupMachines, machine, ugit, userRepo, write } from './gitFixtures';

afterAll(cleanupMachines);

/** A bundle of the user's HEAD as refs/tavern/snapshots/<agent>, made with plain git. */
function snapshotBundle(repo: string, agentId: string): { file: string; commit: string } {
  const commit = ugit(repo, 'rev-parse', 'HEAD');
  ugit(repo, 'update-ref', `refs/tavern/snapshots/${agentId}`, commit);
  const file = join(machine('transfer'), 'in.bundle');
  ugit(repo, 'bundle', 'create', '-q', file, `refs/tavern/snapshots/${agentId}`);
  return { file, commit };
}

async function push(ws: WorkerWorkspaces, projectId: string, file: string): Promise<string[]> {
  const uploadId = `up${Math.random().toString(36).slice(2, 10)}`;
  let commits: string[] = [];
  for await (const chunk of readChunks(file, 1000)) {
    const r = await ws.push({
      projectId,
      uploadId,
      index: chunk.index,
      data: chunk.data,
      last: !chunk.more,
    });
    if (r.commits) commits = r.commits;
  }
  return commits;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('worker workspaces', () => {
  it('mirrors a project, makes unique worktrees, commits per turn and reports changes', async () => {
    const repo = userRepo();
    const ws = new WorkerWorkspaces({ stateDir: machine('worker') });
    expect(await ws.refs({ projectId: 'p1' })).toEqual({ commits: [] });
    const { file, commit } = snapshotBundle(repo, 'agent1');
    expect(await push(ws, 'p1', file)).toEqual([commit]);
    expect((await ws.refs({ projectId: 'p1' })).commits).toContain(commit);

    const a = await ws.createWorktree({
      agentId: 'agent1',
      agentName: 'Frodo',
      workspace: { projectId: 'p1', commit },
    });
    expect(a.branch).toBe('tavern/frodo-agent1');
    expect(a.base).toBe(commit);
    // Same name, same short id: a different branch, never a collision.
    const b = await ws.createWorktree({
      agentId: 'agent1b',
      agentName: 'Frodo',
      workspace: { projectId: 'p1', commit, branch: 'tavern/frodo-agent1' },
    });
    expect(b.branch).toBe('tavern/frodo-agent1-2');

    expect(await ws.commitTurn('agent1', 'Frodo', 1)).toEqual({ commit: null });
    write(a.path, 'src/app.ts', 'export const a = 10;\nexport const b = 2;\nexport const c = 3;\n');
    write(a.path, 'logo.bin', Buffer.from([0, 1, 2, 3, 0, 255]));
    write(a.path, '.env', 'SECRET=1\n'); // ignored: stays out of the commit
    const turn = await ws.commitTurn('agent1', 'Frodo', 1);
    expect(turn.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(ugit(a.path, 'log', '-1', '--format=%s')).toBe('tavern: Frodo, turn 1');

    const changes = await ws.changes('agent1');
    expect(changes.base).toBe(commit);
    expect(changes.head).toBe(turn.commit);
    expect(changes.files).toEqual([
      { path: 'logo.bin', status: 'A', additions: 0, deletions: 0, binary: true },
      { path: 'src/app.ts', status: 'M', additions: 1, deletions: 1, binary: false },
    ]);
    const whole = await ws.patch('agent1', 100_000);
    expect(whole.cut).toBe(false);
    expect(whole.patch).toContain('+export const a = 10;');
    const small = await ws.patch('agent1', 120);
    expect(small.cut).toBe(true);
    expect(small.patch).toMatch(/patch cut at 120 bytes/);
    const one = await ws.patch('agent1', 100_000, ['src/app.ts']);
    expect(one.patch).not.toContain('logo.bin');
    await ws.dispose();
  });

  it('refuses bad input with clear errors and loses nothing', async () => {
    const repo = userRepo();
    const ws = new WorkerWorkspaces({ stateDir: machine('worker') });
    const { file, commit } = snapshotBundle(repo, 'agent2');

    const unknown = await rejection(
      ws.push({ projectId: 'nope', uploadId: 'u1', index: 0, data: '', last: true }),
    );
    expect(isWorkspaceError(unknown, 'UnknownProject')).toBe(true);
    expect(unknown.message).toMatch(/call workspace\/refs/);

    await ws.refs({ projectId: 'p2' });
    const notOpen = await rejection(
      ws.push({ projectId: 'p2', uploadId: 'u2', index: 3, data: '', last: false }),
    );
    expect(isWorkspaceError(notOpen, 'UnknownUpload')).toBe(true);

    const notBase64 = await rejection(
      ws.push({ projectId: 'p2', uploadId: 'u7', index: 0, data: 'AAA*', last: false }),
    );
    expect(notBase64.message).toMatch(/not valid base64/);
    await ws.push({ projectId: 'p2', uploadId: 'u3', index: 0, data: 'AAAA', last: false });
    const order = await rejection(
      ws.push({ projectId: 'p2', uploadId: 'u3', index: 2, data: 'AAAA', last: false }),
    );
    expect(isWorkspaceError(order, 'BadChunk')).toBe(true);
    expect(order.message).toMatch(/expected chunk 1/);

    const corrupt = readFileSync(file);
    corrupt.fill(0x41, corrupt.length - 40, corrupt.length - 20); // damage the pack
    const bad = await rejection(
      ws.push({
        projectId: 'p2',
        uploadId: 'u4',
        index: 0,
        data: corrupt.toString('base64'),
        last: true,
      }),
    );
    expect(isWorkspaceError(bad, 'BadBundle')).toBe(true);
    expect(bad.message).toMatch(/damaged and nothing was fetched/);
    const truncated = await rejection(
      ws.push({ projectId: 'p2', uploadId: 'u5', index: 0, data: 'AAAA', last: true }),
    );
    expect(isWorkspaceError(truncated, 'BadBundle')).toBe(true);
    expect(truncated.message).toMatch(/not a git bundle/);
    // A bundle that builds on commits this mirror lacks.
    ugit(repo, 'commit', '-q', '--allow-empty', '-m', 'next');
    ugit(repo, 'update-ref', 'refs/tavern/snapshots/later', 'HEAD');
    const thin = join(machine('transfer'), 'thin.bundle');
    ugit(repo, 'bundle', 'create', '-q', thin, 'refs/tavern/snapshots/later', '^HEAD~1');
    const lacking = await rejection(
      ws.push({
        projectId: 'p2',
        uploadId: 'u6',
        index: 0,
        data: readFileSync(thin).toString('base64'),
        last: true,
      }),
    );
    expect(isWorkspaceError(lacking, 'BadBundle')).toBe(true);
    expect(lacking.message).toMatch(/does not have/);
    expect((await ws.refs({ projectId: 'p2' })).commits).toEqual([]);
    // The good bundle still goes in after the bad one.
    expect(await push(ws, 'p2', file)).toEqual([commit]);

    const none = await rejection(ws.changes('ghost'));
    expect(isWorkspaceError(none, 'NoWorkspace')).toBe(true);
    const missing = await rejection(
      ws.createWorktree({
        agentId: 'agent2',
        agentName: 'Sam',
        workspace: { projectId: 'p2', commit: 'f'.repeat(40) },
      }),
    );
    expect(isWorkspaceError(missing, 'MissingCommit')).toBe(true);

    const wt = await ws.createWorktree({
      agentId: 'agent2',
      agentName: 'Sam',
      workspace: { projectId: 'p2', commit },
    });
    const escape = await rejection(ws.patch('agent2', 1000, ['../../etc/passwd']));
    expect(isWorkspaceError(escape, 'PathEscape')).toBe(true);
    expect(() => checkRelativePath('../outside')).toThrow(/Refused path/);
    expect(() => checkRelativePath('/etc/passwd')).toThrow(/Refused path/);
    symlinkSync(machine('elsewhere'), join(wt.path, 'link'));
    expect(() => confinedPath(wt.path, 'link/file')).toThrow(/symlink/);

    write(wt.path, 'notes.txt', 'uncommitted\n');
    const { removeWorktree } = await import('../../runtime/workspace/worktree');
    const dirty = await rejection(removeWorktree(wt));
    expect(isWorkspaceError(dirty, 'DirtyWorktree')).toBe(true);
    expect(existsSync(join(wt.path, 'notes.txt'))).toBe(true);
    // The sweep keeps a dirty orphan and says why.
    const swept = await ws.sweep({ liveAgents: new Set(), liveProjects: new Set() });
    expect(swept.keptWorktrees.map((k) => k.agentId)).toEqual(['agent2']);
    expect(swept.keptMirrors.map((k) => k.projectId)).toEqual(['p2']);

    // Retiring commits first, then removes; the work stays pullable from the branch.
    const retired = await ws.retire('agent2', 'Sam');
    expect(retired.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(existsSync(wt.path)).toBe(false);
    expect((await ws.changes('agent2')).files.map((f) => f.path)).toEqual(['link', 'notes.txt']);
    const offer = await ws.pull('agent2');
    expect(offer.bytes).toBeGreaterThan(0);
    // Made ahead at the end of a turn, the same bundle is served by a pull without `have`.
    await ws.prepareBundle('agent2');
    const ready = await ws.pull('agent2');
    expect(ready).toMatchObject({ head: offer.head, bytes: offer.bytes, chunks: offer.chunks });
    const first = await ws.pullChunk(ready.pullId!, 0);
    const again = await ws.pullChunk(offer.pullId!, 0);
    expect(first.data).toBe(again.data);
    expect(first.more).toBe(false);
    const finished = await rejection(ws.pullChunk(ready.pullId!, 0));
    expect(isWorkspaceError(finished, 'UnknownUpload')).toBe(true);
    await ws.dispose();
  });
});
