// The worker's bare mirror of a project: created on first `workspace/refs`, listed so the
// coordinator sends only what is missing, and fed verified bundles.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fetchBundle, readBundleHeader, type BundleHead } from './bundle';
import { WorkspaceError } from './errors';
import { git, gitText } from './git';

/** Mirrors being created, so calls that come at once wait for the same one. */
const creating = new Map<string, Promise<string>>();

/**
 * Creates the bare mirror at `path` if it does not exist yet. Two `workspace/refs` calls at
 * once (a burst of summons) used to race: the second found the folder the first had just
 * made and listed a repository not yet there ("not a git repository").
 */
export function ensureMirror(path: string): Promise<string> {
  if (existsSync(join(path, 'HEAD'))) return Promise.resolve(path);
  let made = creating.get(path);
  if (!made) {
    made = createMirror(path).finally(() => creating.delete(path));
    creating.set(path, made);
  }
  return made;
}

async function createMirror(path: string): Promise<string> {
  // Made under another name and renamed into place, so a mirror is there whole or not at
  // all: a crash halfway used to leave an empty folder every later call took for a mirror.
  const temp = `${path}.creating`;
  await rm(temp, { recursive: true, force: true });
  await rm(path, { recursive: true, force: true }); // such a leftover (it has no HEAD)
  await mkdir(dirname(path), { recursive: true });
  await git(['init', '-q', '--bare', temp], {
    cwd: dirname(path),
    doing: 'creating a project mirror',
  });
  // A mirror lives long and takes many small pushes: keep unreachable objects of removed
  // agents around for a while, like any clone would.
  await git(['config', 'core.logAllRefUpdates', 'true'], { cwd: temp });
  await rename(temp, path);
  return path;
}

export function requireMirror(path: string, projectId: string): string {
  if (!existsSync(join(path, 'HEAD'))) {
    throw new WorkspaceError(
      'UnknownProject',
      `This worker has no mirror of project ${projectId}: call workspace/refs for it first, then push its bundle.`,
      { projectId },
    );
  }
  return path;
}

/** The commits the refs of `repo` point at: the coordinator excludes all they reach. */
export async function refsOf(repo: string): Promise<string[]> {
  const out = await gitText(['for-each-ref', '--format=%(objectname) %(objecttype)'], {
    cwd: repo,
    doing: 'listing the commits of a mirror',
  });
  const commits = out
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([, type]) => type === 'commit')
    .map(([sha]) => sha!);
  return [...new Set(commits)];
}

/** The refspec a coordinator's bundle lands with: its `refs/tavern/*` refs, forced. */
export const MIRROR_REFSPEC = '+refs/tavern/*:refs/tavern/*';

/** Checks `bundle` and fetches its refs into the mirror; returns the heads it brought. */
export async function receiveBundle(mirror: string, bundle: string): Promise<BundleHead[]> {
  // No separate `git bundle verify`: fetching from a bundle runs the same verification
  // (header, prerequisites present) before it reads the pack, and then checks every
  // object; either failure is BadBundle and no ref moves. One git process instead of two.
  const { heads } = await readBundleHeader(bundle);
  const outside = heads.filter((h) => !h.ref.startsWith('refs/tavern/'));
  if (outside.length > 0 || heads.length === 0) {
    throw new WorkspaceError(
      'BadBundle',
      `A bundle for a mirror must carry only refs/tavern/* refs; this one has ${
        heads.map((h) => h.ref).join(', ') || 'none'
      }. Bundle the agent snapshot refs (refs/tavern/snapshots/<agentId>).`,
    );
  }
  await fetchBundle(mirror, bundle, [MIRROR_REFSPEC]);
  return heads;
}
