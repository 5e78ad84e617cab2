// A worker on the same disk skips bundles: the agent's worktree comes straight from the
// user's repository (or its shadow), kept outside the folder, and its branch is already
// where Apply needs it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyAgentChanges } from '../../extension/core/workspace/apply';
import { discardAgentBranch } from '../../extension/core/workspace/branchOps';
import { snapshotForAgent } from '../../extension/core/workspace/snapshot';
import { openUserRepo } from '../../extension/core/workspace/userRepo';
import { changesBetween } from '../../runtime/workspace/changes';
import { commitTurn } from '../../runtime/workspace/turnCommit';
import { createWorktree, findAgentBranch, removeWorktree } from '../../runtime/workspace/worktree';
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

afterAll(cleanupMachines);

describe('local worker, same disk', () => {
  it('makes the worktree from the user repository without touching what the user sees', async () => {
    const root = userRepo();
    write(root, 'src/util.ts', 'export function util() {\n  return 7;\n}\n');
    const repo = await openUserRepo(root);
    const files = fileState(root);
    const gitBefore = gitState(root);
    const start = await snapshotForAgent(repo, 'localAgent1', 'Faramir');
    const storage = machine('extension-storage');
    const wt = await createWorktree({
      repo: repo.gitDir,
      agentId: 'localAgent1',
      agentName: 'Faramir',
      commit: start,
      path: join(storage, 'localAgent1'),
    });
    expect(fileState(root)).toEqual(files);
    expect(gitState(root)).toEqual(gitBefore);
    expect(read(wt.path, 'src/util.ts')).toContain('return 7');

    write(wt.path, 'src/app.ts', 'export const a = 9;\n');
    await commitTurn(wt.path, 'Faramir', 1);
    await removeWorktree(wt);
    const branch = await findAgentBranch(repo.gitDir, 'localAgent1');
    expect(branch).toMatchObject({ branch: wt.branch, base: start });
    expect(
      (await changesBetween(repo.root, branch!.base, branch!.head)).files.map((f) => f.path),
    ).toEqual(['src/app.ts']);
    const applied = await applyAgentChanges(repo, { branch: wt.branch, start });
    expect(applied.status).toBe('applied');
    expect(read(root, 'src/app.ts')).toBe('export const a = 9;\n');
    expect(read(root, 'src/util.ts')).toContain('return 7');
    const gone = await discardAgentBranch(repo, { branch: wt.branch, agentId: 'localAgent1' });
    expect(gone.deletedRefs).toEqual([
      'refs/tavern/branches/localAgent1',
      'refs/tavern/bases/localAgent1',
      `refs/heads/${wt.branch}`,
      'refs/tavern/snapshots/localAgent1',
    ]);
    expect(ugit(root, 'for-each-ref', 'refs/tavern/bases', 'refs/tavern/branches')).toBe('');
  });

  it('works from a shadow repository too', async () => {
    const root = join(machine('user'), 'plain');
    mkdirSync(root);
    write(root, 'a.txt', 'alpha\n');
    const repo = await openUserRepo(root);
    const start = await snapshotForAgent(repo, 'localShadow', 'Treebeard');
    const wt = await createWorktree({
      repo: repo.gitDir,
      agentId: 'localShadow',
      agentName: 'Treebeard',
      commit: start,
      path: join(machine('extension-storage'), 'localShadow'),
    });
    write(wt.path, 'a.txt', 'ALPHA\n');
    await commitTurn(wt.path, 'Treebeard', 1);
    const applied = await applyAgentChanges(repo, { branch: wt.branch, start });
    expect(applied).toMatchObject({ status: 'applied', written: ['a.txt'] });
    expect(read(root, 'a.txt')).toBe('ALPHA\n');
  });
});
