// What the user can do with an agent's branch besides applying it: check it out (git's own
// safety keeps uncommitted edits or refuses) and discard it with its snapshot ref (the
// caller asks the user first; the tip is returned so it can still be recovered).
import { WorkspaceError } from '../../../runtime/workspace/errors';
import { git } from '../../../runtime/workspace/git';
import { checkAgentBranch, checkId } from '../../../runtime/workspace/paths';
import { snapshotRef } from './snapshot';
import { at, type UserRepo } from './userRepo';

/** `git switch <branch>`: refuses (changing nothing) when uncommitted edits would be overwritten. */
export async function checkoutAgentBranch(repo: UserRepo, branch: string): Promise<void> {
  checkAgentBranch(branch);
  if (repo.shadow) {
    throw new WorkspaceError(
      'Refused',
      'This folder is not a git repository, so there is no branch to switch to: use Apply to bring the changes in.',
    );
  }
  await git(['switch', '-q', branch], {
    ...at(repo, `checking out ${branch}`),
    hint: 'Commit or stash your edits, or use Apply, which merges into your uncommitted files.',
  });
}

export interface DiscardResult {
  /** The branch tip that was deleted: `git branch <name> <tip>` brings it back. */
  tip?: string;
  deletedRefs: string[];
}

/** Deletes the agent's branch and snapshot ref (never the checked-out branch). */
export async function discardAgentBranch(
  repo: UserRepo,
  params: { branch: string; agentId: string },
): Promise<DiscardResult> {
  const ref = `refs/heads/${checkAgentBranch(params.branch)}`;
  const head = await git(['symbolic-ref', '-q', 'HEAD'], { ...at(repo), okCodes: [1, 128] });
  if (head.stdout.trim() === ref) {
    throw new WorkspaceError(
      'Refused',
      `${params.branch} is checked out; switch to another branch before discarding it.`,
    );
  }
  const deletedRefs: string[] = [];
  let tip: string | undefined;
  // The base and branch records exist here too when a local worker used this repository.
  // The symbolic ref goes before the branch it points at, or it could not be resolved.
  const id = checkId('agentId', params.agentId);
  const records = [`refs/tavern/branches/${id}`, `refs/tavern/bases/${id}`];
  for (const name of [...records, ref, snapshotRef(id)]) {
    const found = await git(['rev-parse', '--verify', '--quiet', name], {
      ...at(repo),
      okCodes: [1],
    });
    if (found.code !== 0) continue;
    if (name === ref) tip = found.stdout.trim();
    const symbolic = name.startsWith('refs/tavern/branches/');
    await git(
      symbolic ? ['symbolic-ref', '--delete', name] : ['update-ref', '-d', name],
      at(repo, `deleting ${name}`),
    );
    deletedRefs.push(name);
  }
  return { ...(tip ? { tip } : {}), deletedRefs };
}
