// One-call undo of an apply from its backup ref alone: the paths the apply wrote come back
// from the backup, the files it added go, and nothing else is touched. The current state is
// itself backed up first, so an undo can be undone by hand.
import { WorkspaceError } from '../../../runtime/workspace/errors';
import { git, gitText } from '../../../runtime/workspace/git';
import { BACKUP_PREFIX, newBackupRef, type BackupRecord } from './apply';
import { clearMarker, findInterruptedApply } from './applyMarker';
import { commitTree, workingTree } from './snapshot';
import { at, headCommit, type UserRepo } from './userRepo';
import { writePaths } from './writeTree';

export async function readBackup(repo: UserRepo, backupRef: string): Promise<BackupRecord> {
  if (!backupRef.startsWith(BACKUP_PREFIX) || /\.\.|[\s~^:?*[\\]/.test(backupRef)) {
    throw new WorkspaceError(
      'BadName',
      `${backupRef} is not a Tavern backup ref (${BACKUP_PREFIX}...).`,
    );
  }
  const message = await gitText(['log', '-1', '--format=%B', backupRef], {
    ...at(repo),
    doing: `reading ${backupRef}`,
    hint: 'List the backups with: git for-each-ref refs/tavern/backups',
  });
  const json = message.split('\n').find((line) => line.startsWith('{'));
  try {
    const record = JSON.parse(json ?? '') as BackupRecord;
    if (
      Array.isArray(record.written) &&
      Array.isArray(record.deleted) &&
      Array.isArray(record.added)
    )
      return record;
  } catch {
    // fall through
  }
  throw new WorkspaceError(
    'Refused',
    `${backupRef} does not say which files it covers; restore by hand with git restore --source=${backupRef} -- <paths>.`,
  );
}

export interface UndoResult {
  restored: string[];
  removed: string[];
  /** Your files just before the undo. */
  safetyRef: string;
}

export async function undoApply(repo: UserRepo, backupRef: string): Promise<UndoResult> {
  const record = await readBackup(repo, backupRef);
  const now = await workingTree(repo);
  const safety = await commitTree(
    repo,
    now,
    `tavern: your files before undoing ${backupRef}\n\n${JSON.stringify({ ...record, undo: backupRef })}\n`,
    [await headCommit(repo)].filter((p): p is string => !!p),
  );
  const safetyRef = newBackupRef('-before-undo');
  await git(['update-ref', safetyRef, safety], at(repo));
  const added = new Set(record.added);
  const restore = [...record.written, ...record.deleted].filter((p) => !added.has(p));
  await writePaths(repo, backupRef, restore, record.added);
  return { restored: restore, removed: record.added, safetyRef };
}

/** Restores the files of an apply that was interrupted, and clears its marker. */
export async function restoreInterruptedApply(repo: UserRepo): Promise<UndoResult | undefined> {
  const marker = await findInterruptedApply(repo);
  if (!marker) return undefined;
  const result = await undoApply(repo, marker.backupRef);
  await clearMarker(repo);
  return result;
}
