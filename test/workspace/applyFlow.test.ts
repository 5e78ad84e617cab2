// The whole round trip across separate "machines" (temp dirs sharing no path): the user's
// repository is snapshotted without being touched, two workers each run an agent on the
// same file, the first apply is clean, the second conflicts, the user's uncommitted edits
// survive both, and undo restores the files exactly.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyAgentChanges, previewApply } from '../../extension/core/workspace/apply';
import { openUserRepo } from '../../extension/core/workspace/userRepo';
import { undoApply } from '../../extension/core/workspace/undo';
import { WorkerWorkspaces } from '../../runtime/workspace/workerWorkspaces';
import {
  cleanupMachines,
  fileState,
  gitState,
  machine,
  read,
  ugit,
  userRepo,
  write,
} from './gitFixtures';
import { pullAgent, startAgent } from './remoteFlow';

afterAll(cleanupMachines);

const APP = 'export const a = 1;\nexport const b = 2;\nexport const c = 3;\n';

describe('agent workspaces, coordinator to workers and back', () => {
  it('snapshots, syncs, applies cleanly then with a conflict, keeps the user edits, and undoes', async () => {
    const root = userRepo();
    // The user's own state: a staged edit, an unstaged edit, an untracked file, an ignored file.
    write(root, 'src/util.ts', 'export function util() {\n  return 43;\n}\n');
    ugit(root, 'add', 'src/util.ts');
    write(root, 'README.md', '# project\n\nuser notes\n');
    write(root, 'draft.md', 'untracked draft\n');
    write(root, '.env', 'SECRET=1\n');
    const repo = await openUserRepo(root);
    const filesBefore = fileState(root);
    const gitBefore = gitState(root);

    const w1 = new WorkerWorkspaces({ stateDir: machine('worker1'), frameCapBytes: 64 * 1024 });
    const w2 = new WorkerWorkspaces({ stateDir: machine('worker2') });
    const frodo = await startAgent(repo, w1, 'proj', 'agentFrodo1', 'Frodo');
    const sam = await startAgent(repo, w2, 'proj', 'agentSam22', 'Sam');

    // The snapshot touched nothing of the user's: files (content and mtime), index, HEAD.
    expect(fileState(root)).toEqual(filesBefore);
    expect(gitState(root)).toEqual(gitBefore);
    // ...and carries what the user sees: the uncommitted edits and the untracked file, not .env.
    expect(read(frodo.worktree.path, 'src/util.ts')).toContain('43');
    expect(read(frodo.worktree.path, 'README.md')).toContain('user notes');
    expect(read(frodo.worktree.path, 'draft.md')).toBe('untracked draft\n');
    expect(() => read(frodo.worktree.path, '.env')).toThrow();
    expect(frodo.worktree.path.startsWith(root)).toBe(false);

    write(frodo.worktree.path, 'src/app.ts', APP.replace('a = 1', 'a = 100'));
    write(frodo.worktree.path, 'src/new.ts', 'export const fresh = true;\n');
    await w1.commitTurn('agentFrodo1', 'Frodo', 1);
    write(sam.worktree.path, 'src/app.ts', APP.replace('a = 1', 'a = 200'));
    await w2.commitTurn('agentSam22', 'Sam', 1);

    const back1 = await pullAgent(repo, w1, 'agentFrodo1');
    const back2 = await pullAgent(repo, w2, 'agentSam22');
    expect(back1.branch).toBe('tavern/frodo-agentfro');
    expect(ugit(root, 'rev-parse', back1.branch)).toBe(back1.head);
    expect(ugit(root, 'rev-parse', back2.branch)).toBe(back2.head);
    // Fetching branches changed nothing the user sees either.
    expect(fileState(root)).toEqual(filesBefore);
    expect(gitState(root)).toEqual(gitBefore);

    // The user keeps working after the agents started.
    write(root, 'README.md', '# project\n\nuser notes, later\n');
    const beforeApply = fileState(root);

    const preview = await previewApply(repo, { branch: back1.branch, start: frodo.start });
    expect(preview).toMatchObject({
      status: 'nothing',
      conflicts: [],
      written: ['src/app.ts', 'src/new.ts'],
    });
    expect(fileState(root)).toEqual(beforeApply);

    const first = await applyAgentChanges(repo, { branch: back1.branch, start: frodo.start });
    expect(first.status).toBe('applied');
    expect(first.written).toEqual(['src/app.ts', 'src/new.ts']);
    expect(first.backupRef).toMatch(/^refs\/tavern\/backups\//);
    expect(read(root, 'src/app.ts')).toContain('a = 100');
    const afterFirst = fileState(root);
    // Only the changed paths were written: every other file keeps content and mtime.
    for (const [path, state] of Object.entries(beforeApply)) {
      if (path !== 'src/app.ts') expect(afterFirst[path], path).toEqual(state);
    }
    expect(gitState(root).index).toBe(gitBefore.index);
    expect(gitState(root).head).toBe(gitBefore.head);

    const second = await applyAgentChanges(repo, { branch: back2.branch, start: sam.start });
    expect(second.status).toBe('conflicts');
    expect(second.conflicts).toEqual(['src/app.ts']);
    const conflicted = read(root, 'src/app.ts');
    expect(conflicted).toMatch(/<<<<<<< .*\n.*a = 100.*\n=======\n.*a = 200.*\n>>>>>>> /);
    expect(read(root, 'README.md')).toBe('# project\n\nuser notes, later\n');
    expect(read(root, 'src/util.ts')).toContain('43');
    expect(read(root, 'draft.md')).toBe('untracked draft\n');
    expect(read(root, '.env')).toBe('SECRET=1\n');

    // Undo, newest first, restores the files exactly.
    await undoApply(repo, second.backupRef!);
    expect(fileState(root)['src/app.ts']?.content).toBe(afterFirst['src/app.ts']?.content);
    expect(read(root, 'README.md')).toBe('# project\n\nuser notes, later\n');
    const undone = await undoApply(repo, first.backupRef!);
    expect(undone.removed).toEqual(['src/new.ts']);
    const afterUndo = fileState(root);
    expect(Object.keys(afterUndo).sort()).toEqual(Object.keys(beforeApply).sort());
    for (const [path, state] of Object.entries(beforeApply)) {
      expect(afterUndo[path]?.content, path).toBe(state.content);
    }
    expect(gitState(root).index).toBe(gitBefore.index);
    await Promise.all([w1.dispose(), w2.dispose()]);
  });

  it('applies one file and keeps a line the user reverted after the agent started', async () => {
    const root = userRepo({ 'src/app.ts': APP.replace('c = 3', 'c = 30') });
    const repo = await openUserRepo(root);
    const worker = new WorkerWorkspaces({ stateDir: machine('worker') });
    const first = await startAgent(repo, worker, 'p', 'agentOne1', 'Merry');
    // The user reverts c = 30 to c = 3 after the agent started from the snapshot with c = 30.
    write(root, 'src/app.ts', APP);
    write(
      first.worktree.path,
      'src/app.ts',
      APP.replace('c = 3', 'c = 30').replace('a = 1', 'a = 5'),
    );
    write(first.worktree.path, 'src/util.ts', 'export function util() {\n  return 0;\n}\n');
    await worker.commitTurn('agentOne1', 'Merry', 1);
    const back = await pullAgent(repo, worker, 'agentOne1');

    const one = await applyAgentChanges(repo, {
      branch: back.branch,
      start: first.start,
      paths: ['src/app.ts'],
    });
    expect(one).toMatchObject({ status: 'applied', written: ['src/app.ts'], conflicts: [] });
    expect(read(root, 'src/app.ts')).toBe(APP.replace('a = 1', 'a = 5')); // the revert stays
    expect(read(root, 'src/util.ts')).toContain('return 42'); // not applied

    // Pulling again with what we have sends nothing.
    const again = await pullAgent(repo, worker, 'agentOne1', [back.head]);
    expect(again.bytes).toBe(0);
    await worker.dispose();
  });
});

describe('incremental sync', () => {
  it('sends only the objects the mirror lacks', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++)
      files[`lib/f${i}.ts`] = `export const v${i} = '${'x'.repeat(i * 7)}';\n`;
    const root = userRepo(files);
    const repo = await openUserRepo(root);
    const worker = new WorkerWorkspaces({ stateDir: machine('worker') });
    const first = await startAgent(repo, worker, 'p', 'agentOne1', 'Merry');
    write(root, 'lib/f7.ts', 'export const v7 = 7;\n');
    ugit(root, 'commit', '-q', '-am', 'one file');
    const commitBundle = join(machine('size'), 'commit.bundle');
    ugit(root, 'bundle', 'create', '-q', commitBundle, 'HEAD', '^HEAD~1');
    const commitBytes = statSync(commitBundle).size;
    const second = await startAgent(repo, worker, 'p', 'agentTwo2', 'Pippin');
    console.log(
      `incremental sync: first ${first.sent.bytes} bytes, after a one-file commit ${second.sent.bytes} bytes ` +
        `(that commit's own bundle: ${commitBytes} bytes)`,
    );
    expect(second.sent.bytes).toBeGreaterThan(0);
    expect(second.sent.bytes).toBeLessThan(first.sent.bytes / 10);
    expect(second.sent.bytes).toBeLessThanOrEqual(2 * commitBytes);
    expect(read(second.worktree.path, 'lib/f7.ts')).toBe('export const v7 = 7;\n');
    // Nothing new: nothing sent.
    const { sendAgent } = await import('./remoteFlow');
    expect((await sendAgent(repo, worker, 'p', 'agentTwo2')).bytes).toBe(0);
    await worker.dispose();
  });
});
