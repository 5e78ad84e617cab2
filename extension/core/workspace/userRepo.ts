// The user's project as git sees it: a folder inside a git repository, or a plain folder
// given a shadow repository under .tavern/shadow.git (GIT_DIR + GIT_WORK_TREE) so the same
// snapshot, bundle, review and apply flow works.
//
// What the shadow gives a folder that is not a git repository: agents still work in their
// own worktrees (made from the shadow), never in the folder, and their work comes back
// through the same 3-way apply with a backup first. What it does not give: the shadow has
// no history of the user's (each snapshot is a parentless commit of the folder as it is),
// "Check out branch" is refused (there is no branch of the user's to switch), and files are
// left out only by a .gitignore in the folder or by the shadow's info/exclude (.tavern/ and
// node_modules/ are there by default).
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { git } from '../../../runtime/workspace/git';

export interface UserRepo {
  /** The top of the working tree (the folder the user sees). */
  root: string;
  /** Absolute git directory (the repository's, or the shadow's). */
  gitDir: string;
  /** True for a folder that is not a git repository (see the file comment). */
  shadow: boolean;
  /** Environment every git call on this repository carries (GIT_DIR/GIT_WORK_TREE for a shadow). */
  env: Record<string, string>;
}

export const SHADOW_DIR = join('.tavern', 'shadow.git');
const SHADOW_EXCLUDES = ['/.tavern/', 'node_modules/', ''].join('\n');

/** Options for `git()` on the user's repository. */
export function at(
  repo: UserRepo,
  doing?: string,
): { cwd: string; env: Record<string, string>; doing?: string } {
  return { cwd: repo.root, env: repo.env, ...(doing ? { doing } : {}) };
}

/**
 * Opens the repository of `folder`; a folder outside any repository gets (or reuses) its
 * shadow. A folder inside a repository uses that repository (its top may be above it).
 */
export async function openUserRepo(folder: string): Promise<UserRepo> {
  const root = resolve(folder);
  const shadowDir = join(root, SHADOW_DIR);
  if (!existsSync(shadowDir)) {
    const probe = await git(
      ['rev-parse', '--path-format=absolute', '--show-toplevel', '--absolute-git-dir'],
      { cwd: root, okCodes: [128] },
    );
    if (probe.code === 0) {
      const [top = root, gitDir = ''] = probe.stdout.trim().split('\n');
      return { root: top, gitDir, shadow: false, env: {} };
    }
    await mkdir(shadowDir, { recursive: true });
    await git(['init', '-q', '--bare', shadowDir], {
      cwd: root,
      doing: 'making a shadow repository',
    });
    await git(['config', 'core.bare', 'false'], { cwd: shadowDir });
    await mkdir(join(shadowDir, 'info'), { recursive: true });
    await writeFile(join(shadowDir, 'info', 'exclude'), SHADOW_EXCLUDES);
  }
  return {
    root,
    gitDir: shadowDir,
    shadow: true,
    env: { GIT_DIR: shadowDir, GIT_WORK_TREE: root },
  };
}

/** HEAD's commit, or undefined on an unborn branch (a new repository, or a shadow). */
export async function headCommit(repo: UserRepo): Promise<string | undefined> {
  const r = await git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], {
    ...at(repo),
    okCodes: [1, 128],
  });
  return r.code === 0 ? r.stdout.trim() : undefined;
}
