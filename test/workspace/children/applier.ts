// Child process for the crash-in-apply test: applies an agent's branch and kills itself
// with SIGKILL after the files are written but before the apply finishes.
import { applyAgentChanges } from '../../../extension/core/workspace/apply';
import { openUserRepo } from '../../../extension/core/workspace/userRepo';

const [root = '', branch = '', start = ''] = process.argv.slice(2);

async function main(): Promise<void> {
  const repo = await openUserRepo(root);
  await applyAgentChanges(repo, {
    branch,
    start,
    afterWrite: () => {
      console.log('WRITTEN');
      process.kill(process.pid, 'SIGKILL');
    },
  });
  console.log('FINISHED'); // never reached
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
