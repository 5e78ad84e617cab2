// The note an apply leaves in the git directory while it writes files. If Tavern stops in
// the middle, the note survives and says which backup ref restores the user's files; at
// start the coordinator looks for it and offers the restore.
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UserRepo } from './userRepo';

export interface ApplyMarker {
  backupRef: string;
  branch: string;
  startedAt: string;
  /** Paths the apply was writing or deleting. */
  paths: string[];
  /** For a person reading the file by hand. */
  howToRestore: string;
}

const FILE = 'tavern-apply-in-progress.json';

export function markerPath(repo: UserRepo): string {
  return join(repo.gitDir, FILE);
}

export async function writeMarker(
  repo: UserRepo,
  marker: Omit<ApplyMarker, 'howToRestore'>,
): Promise<void> {
  const full: ApplyMarker = {
    ...marker,
    howToRestore:
      `Tavern stopped while applying ${marker.branch}. Your files as they were before are in ${marker.backupRef}. ` +
      `Run "Tavern: Undo Apply" (or, by hand: git restore --source=${marker.backupRef} --worktree -- <the paths listed>, ` +
      `and delete the files the apply added), then delete this file.`,
  };
  await writeFile(markerPath(repo), JSON.stringify(full, null, 2) + '\n');
}

/** The marker of an interrupted apply, or undefined. A damaged marker is reported as one. */
export async function findInterruptedApply(repo: UserRepo): Promise<ApplyMarker | undefined> {
  const path = markerPath(repo);
  if (!existsSync(path)) return undefined;
  const text = await readFile(path, 'utf8');
  try {
    const parsed = JSON.parse(text) as Partial<ApplyMarker>;
    if (typeof parsed.backupRef === 'string' && Array.isArray(parsed.paths))
      return parsed as ApplyMarker;
  } catch {
    // fall through: report what we can
  }
  return {
    backupRef: '',
    branch: '',
    startedAt: '',
    paths: [],
    howToRestore: `${path} is damaged; see refs/tavern/backups/ (git for-each-ref refs/tavern/backups) for your files.`,
  };
}

export async function clearMarker(repo: UserRepo): Promise<void> {
  await rm(markerPath(repo), { force: true });
}
