// One commit per turn: at the end of an agent's turn everything in its worktree (tracked,
// new, deleted; ignored files stay out) becomes one commit on its branch.
import { TAVERN_IDENTITY, git, gitText } from './git';

export interface TurnCommit {
  /** The new commit, or null when nothing had changed. */
  commit: string | null;
}

/** Message of a turn commit: `tavern: Frodo, turn 3`. */
export function turnMessage(agentName: string, turn: number | 'final'): string {
  return turn === 'final'
    ? `tavern: ${agentName}, before removal`
    : `tavern: ${agentName}, turn ${turn}`;
}

/** True when the worktree has anything `git add -A` would pick up. */
export async function isDirty(worktree: string): Promise<boolean> {
  const out = await gitText(['status', '--porcelain', '-z', '--untracked-files=all'], {
    cwd: worktree,
    doing: 'checking a worktree for uncommitted work',
  });
  return out.length > 0;
}

/** `git add -A && git commit` in the worktree, skipped when nothing changed. */
export async function commitTurn(
  worktree: string,
  agentName: string,
  turn: number | 'final',
): Promise<TurnCommit> {
  const doing = `committing ${agentName}'s turn`;
  await git(['add', '-A'], { cwd: worktree, doing });
  const staged = await git(['diff', '--cached', '--quiet'], { cwd: worktree, okCodes: [1], doing });
  if (staged.code === 0) return { commit: null };
  await git(['commit', '-q', '--no-verify', '-m', turnMessage(agentName, turn)], {
    cwd: worktree,
    env: {
      ...TAVERN_IDENTITY,
      GIT_AUTHOR_NAME: `${agentName} (Tavern)`,
    },
    doing,
  });
  return { commit: await gitText(['rev-parse', 'HEAD'], { cwd: worktree }) };
}
