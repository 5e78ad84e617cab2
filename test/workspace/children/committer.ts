// Child process for the kill -9 test: makes an agent's worktree from a pushed snapshot,
// commits one turn, says so on stdout, leaves more work uncommitted and waits to be killed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkerWorkspaces } from '../../../runtime/workspace/workerWorkspaces';

const [stateDir = '', projectId = '', commit = ''] = process.argv.slice(2);

async function main(): Promise<void> {
  const ws = new WorkerWorkspaces({ stateDir });
  const wt = await ws.createWorktree({
    agentId: 'agentKilled',
    agentName: 'Boromir',
    workspace: { projectId, commit },
  });
  writeFileSync(join(wt.path, 'horn.txt'), 'sounded\n');
  const turn = await ws.commitTurn('agentKilled', 'Boromir', 1);
  writeFileSync(join(wt.path, 'mid-turn.txt'), 'not committed yet\n');
  console.log(`COMMITTED ${turn.commit}`);
  setInterval(() => undefined, 60_000); // alive until killed
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
