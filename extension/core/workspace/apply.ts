// Apply all, or some files, of an agent's branch into the user's working tree by a 3-way
// merge whose base is the agent's start snapshot. The user's uncommitted edits are never
// lost: a backup ref is written before any file, conflicts are written with markers and
// listed, only changed paths are touched, and a marker file covers a crash in the middle.
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { WorkspaceError } from '../../../runtime/workspace/errors';
import { git, gitText } from '../../../runtime/workspace/git';
import { checkAgentBranch, checkRelativePath } from '../../../runtime/workspace/paths';
import { clearMarker, findInterruptedApply, writeMarker } from './applyMarker';
import { commitTree, workingTree } from './snapshot';
import { at, headCommit, type UserRepo } from './userRepo';
import { treeDiff, writePaths } from './writeTree';

export interface ApplyParams {
  /** The agent's branch in the user's repository (tavern/<name>-<id>). */
  branch: string;
  /** The agent's start snapshot (the merge base). */
  start: string;
  /** Apply only these paths (Apply file); all when absent. */
  paths?: string[];
  /** 'write' (default): write conflicts with markers; 'refuse': write nothing when any. */
  onConflict?: 'write' | 'refuse';
  /** Test seam: runs after the backup ref and the marker exist, before any file is written. */
  beforeWrite?: () => void | Promise<void>;
  /** Test seam: runs after the files are written, before the marker is cleared. */
  afterWrite?: () => void | Promise<void>;
}

export interface ApplyResult {
  status: 'applied' | 'conflicts' | 'nothing' | 'refused';
  /** refs/tavern/backups/<time>: the user's files before the apply; undo restores from it. */
  backupRef?: string;
  written: string[];
  deleted: string[];
  /** Paths written with conflict markers (or, with onConflict 'refuse', that would be). */
  conflicts: string[];
  /** Paths left alone, with why (an ignored local file in the way, a file edited meanwhile). */
  skipped: { path: string; reason: string }[];
}

/** What the backup commit's message carries, so undo needs nothing but the ref. */
export interface BackupRecord {
  branch: string;
  written: string[];
  deleted: string[];
  /** Paths the apply created (undo deletes them). */
  added: string[];
}

export const BACKUP_PREFIX = 'refs/tavern/backups/';

export function newBackupRef(suffix = ''): string {
  const time = new Date().toISOString().replace(/[:.]/g, '-');
  return `${BACKUP_PREFIX}${time}-${randomBytes(3).toString('hex')}${suffix}`;
}

/** `git merge-tree --write-tree` of the user's tree (re-parented on `start`) and the branch. */
async function mergeWithBranch(
  repo: UserRepo,
  userTree: string,
  start: string,
  branch: string,
): Promise<{ tree: string; conflicts: string[] }> {
  const ours = await commitTree(repo, userTree, 'tavern: your tree now', [start]);
  const result = await git(
    ['merge-tree', '--write-tree', '--name-only', '-z', ours, `refs/heads/${branch}`],
    { ...at(repo, `merging ${branch} with your files`), okCodes: [1] },
  );
  const tokens = result.stdout.split('\0');
  const conflicts: string[] = [];
  for (let i = 1; i < tokens.length && tokens[i] !== ''; i++) conflicts.push(tokens[i]!);
  return { tree: tokens[0]!.trim(), conflicts: [...new Set(conflicts)] };
}

/** Blob ids of the files on disk now (to catch edits made while we worked). */
async function hashOnDisk(repo: UserRepo, paths: readonly string[]): Promise<Map<string, string>> {
  const present = paths.filter((p) => existsSync(`${repo.root}/${p}`));
  if (present.length === 0) return new Map();
  const out = await gitText(['hash-object', '--stdin-paths'], {
    ...at(repo),
    input: present.join('\n') + '\n',
  });
  const ids = out.split('\n');
  return new Map(present.map((p, i) => [p, ids[i] ?? '']));
}

async function blobIn(
  repo: UserRepo,
  tree: string,
  paths: readonly string[],
): Promise<Map<string, string>> {
  if (paths.length === 0) return new Map();
  const out = (await git(['ls-tree', '-z', tree, '--', ...paths.map((p) => p)], at(repo))).stdout;
  const map = new Map<string, string>();
  for (const entry of out.split('\0').filter(Boolean)) {
    const [meta = '', path = ''] = entry.split('\t');
    map.set(path, meta.split(' ')[2] ?? '');
  }
  return map;
}

/** What an apply would do, writing nothing and making no backup. */
export async function previewApply(repo: UserRepo, params: ApplyParams): Promise<ApplyResult> {
  return applyAgentChanges(repo, { ...params, onConflict: 'refuse', preview: true });
}

export async function applyAgentChanges(
  repo: UserRepo,
  params: ApplyParams & { preview?: boolean },
): Promise<ApplyResult> {
  const branch = checkAgentBranch(params.branch);
  const paths = (params.paths ?? []).map(checkRelativePath);
  const interrupted = await findInterruptedApply(repo);
  if (interrupted) {
    throw new WorkspaceError(
      'ApplyInterrupted',
      `An earlier apply of ${interrupted.branch || 'an agent branch'} was interrupted: restore it (Undo Apply) or dismiss it before applying again.`,
      { marker: interrupted },
    );
  }
  const userTree = await workingTree(repo);
  const merged = await mergeWithBranch(repo, userTree, params.start, branch);
  const diff = await treeDiff(repo, userTree, merged.tree, paths);
  const touched = new Set([...diff.write, ...diff.remove]);
  const conflicts = merged.conflicts.filter(
    (p) => touched.has(p) || paths.length === 0 || paths.includes(p),
  );
  const empty: ApplyResult = {
    status: 'nothing',
    written: [],
    deleted: [],
    conflicts,
    skipped: [],
  };
  if (touched.size === 0 && conflicts.length === 0) return empty;
  if (params.preview || (conflicts.length > 0 && params.onConflict === 'refuse')) {
    return {
      ...empty,
      status: conflicts.length > 0 ? 'conflicts' : 'nothing',
      written: diff.write,
      deleted: diff.remove,
    };
  }

  // Files git ignores (or that are not in the snapshot) must not be overwritten by an add,
  // and files edited since we read the tree are left as the user has them now.
  const skipped: ApplyResult['skipped'] = [];
  const expected = await blobIn(repo, userTree, [...touched]);
  const onDisk = await hashOnDisk(repo, [...touched]);
  const safe = (path: string): boolean => {
    const before = expected.get(path);
    const now = onDisk.get(path);
    if (before === undefined && now !== undefined) {
      skipped.push({
        path,
        reason: 'a local file (ignored by git) is in the way; move it and apply this file again',
      });
      return false;
    }
    if (before !== undefined && now !== before) {
      skipped.push({ path, reason: 'you changed it while the apply ran; apply this file again' });
      return false;
    }
    return true;
  };
  const write = diff.write.filter(safe);
  const remove = diff.remove.filter(safe);
  const added = diff.added.filter((p) => write.includes(p));
  if (write.length === 0 && remove.length === 0) return { ...empty, status: 'refused', skipped };

  const record: BackupRecord = { branch, written: write, deleted: remove, added };
  const backup = await commitTree(
    repo,
    userTree,
    `tavern: your files before applying ${branch}\n\n${JSON.stringify(record)}\n`,
    [await headCommit(repo)].filter((p): p is string => !!p),
  );
  const backupRef = newBackupRef();
  await git(['update-ref', backupRef, backup], at(repo, 'writing the backup ref'));
  await writeMarker(repo, {
    backupRef,
    branch,
    startedAt: new Date().toISOString(),
    paths: [...write, ...remove],
  });
  await params.beforeWrite?.();
  await writePaths(repo, merged.tree, write, remove);
  await params.afterWrite?.();
  await clearMarker(repo);
  // A conflict can leave a path as the user has it (e.g. the agent deleted a file the user
  // edited): it is still listed, so the review can say so.
  return {
    status: conflicts.length > 0 ? 'conflicts' : 'applied',
    backupRef,
    written: write,
    deleted: remove,
    conflicts,
    skipped,
  };
}
