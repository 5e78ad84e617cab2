// Crashes: a worker process killed with SIGKILL after committing a turn leaves work that a
// new process still pulls (the mid-turn file stays in the worktree, not lost); an apply
// killed halfway leaves its backup ref and a marker, and the restore brings the files back.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyAgentChanges } from '../../extension/core/workspace/apply';
import { findInterruptedApply } from '../../extension/core/workspace/applyMarker';
import { openUserRepo } from '../../extension/core/workspace/userRepo';
import { restoreInterruptedApply } from '../../extension/core/workspace/undo';
import { isWorkspaceError } from '../../runtime/workspace/errors';
import { WorkerWorkspaces } from '../../runtime/workspace/workerWorkspaces';
import { cleanupMachines, fileState, machine, read, ugit, userRepo, write } from './gitFixtures';
import { pullAgent, sendAgent, startAgent } from './remoteFlow';
import { snapshotForAgent } from '../../extension/core/workspace/snapshot';

afterAll(cleanupMachines);

const VITE_NODE = resolve('node_modules/.bin/vite-node');

/** Runs a child script; resolves with its stdout lines as they come and its exit. */
function child(script: string, args: string[]) {
  const proc = spawn(VITE_NODE, [join('test/workspace/children', script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((done) =>
    proc.once('exit', (code, signal) => done(signal ?? code)),
  );
  const line = (prefix: string): Promise<string> =>
    new Promise((found, fail) => {
      createInterface({ input: proc.stdout }).on('line', (l) => {
        if (l.startsWith(prefix)) found(l);
      });
      void exited.then((how) =>
        fail(new Error(`${script} exited (${how}) before printing ${prefix}`)),
      );
    });
  return { proc, exited, line };
}

describe('crashes lose nothing', () => {
  it('work committed by a worker killed with SIGKILL can still be pulled', async () => {
    const root = userRepo();
    const repo = await openUserRepo(root);
    const stateDir = machine('worker');
    const before = new WorkerWorkspaces({ stateDir });
    const start = await snapshotForAgent(repo, 'agentKilled', 'Boromir');
    await sendAgent(repo, before, 'proj', 'agentKilled');
    await before.dispose();

    const run = child('committer.ts', [stateDir, 'proj', start]);
    const committed = (await run.line('COMMITTED ')).split(' ')[1];
    run.proc.kill('SIGKILL');
    expect(await run.exited).toBe('SIGKILL');

    const after = new WorkerWorkspaces({ stateDir }); // the restarted worker
    const swept = await after.sweep({
      liveAgents: new Set(['agentKilled']),
      liveProjects: new Set(['proj']),
    });
    expect(swept.removedWorktrees).toEqual([]);
    const back = await pullAgent(repo, after, 'agentKilled');
    expect(back.head).toBe(committed);
    expect(ugit(root, 'show', `${back.branch}:horn.txt`)).toBe('sounded');
    // The file written after the commit is still in the worktree, and the next turn commits it.
    const wt = await after.worktree('agentKilled');
    expect(read(wt.path, 'mid-turn.txt')).toBe('not committed yet\n');
    expect((await after.commitTurn('agentKilled', 'Boromir', 2)).commit).toMatch(/^[0-9a-f]{40}$/);
    await after.dispose();
  });

  it('an apply killed halfway leaves a backup ref and a marker, and restore brings the files back', async () => {
    const root = userRepo();
    const repo = await openUserRepo(root);
    const worker = new WorkerWorkspaces({ stateDir: machine('worker') });
    const agent = await startAgent(repo, worker, 'proj', 'agentHalf1', 'Gimli');
    write(agent.worktree.path, 'src/app.ts', 'export const a = "agent";\n');
    write(agent.worktree.path, 'src/added.ts', 'export const added = 1;\n');
    await worker.commitTurn('agentHalf1', 'Gimli', 1);
    const back = await pullAgent(repo, worker, 'agentHalf1');
    write(root, 'README.md', '# mine, uncommitted\n');
    const before = fileState(root);

    const run = child('applier.ts', [root, back.branch, agent.start]);
    await run.line('WRITTEN');
    expect(await run.exited).toBe('SIGKILL');
    expect(read(root, 'src/app.ts')).toContain('agent'); // the files were written...

    const marker = await findInterruptedApply(repo);
    expect(marker?.branch).toBe(back.branch);
    expect(marker?.howToRestore).toMatch(/refs\/tavern\/backups\//);
    expect(ugit(root, 'rev-parse', '--verify', marker!.backupRef)).toMatch(/^[0-9a-f]{40}$/);
    const refused = await applyAgentChanges(repo, {
      branch: back.branch,
      start: agent.start,
    }).catch((e) => e);
    expect(isWorkspaceError(refused, 'ApplyInterrupted')).toBe(true);

    const restored = await restoreInterruptedApply(repo);
    expect(restored?.removed).toEqual(['src/added.ts']);
    expect(await findInterruptedApply(repo)).toBeUndefined();
    const now = fileState(root);
    expect(Object.keys(now).sort()).toEqual(Object.keys(before).sort());
    for (const [path, state] of Object.entries(before))
      expect(now[path]?.content, path).toBe(state.content);
    await worker.dispose();
  });
});
