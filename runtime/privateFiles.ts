// Files that hold agents' assignments, prompts and tool output: private to the user (dirs
// 0700, files 0600), replaced atomically (temp file, optional fdatasync, rename), and never
// overwritten when unreadable: such a file is moved aside under a name that says why.
import { mkdirSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
}

/**
 * Replaces `file` with `data` so that a reader sees the old or the new content, never a
 * mix. With `sync`, the data and the rename reach the disk before this resolves (a power
 * cut keeps one of the two versions).
 */
export async function writeFileAtomic(file: string, data: string, sync: boolean): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const handle = await open(temp, 'w', FILE_MODE);
  try {
    await handle.writeFile(data, 'utf8');
    if (sync) await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  if (sync) await syncDir(dirname(file));
}

/** Makes a rename or a new file in `dir` durable (where the platform allows it). */
export async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open or fsync a directory; its renames are journalled by NTFS.
  } finally {
    await handle?.close();
  }
}

/** The name a file gets when it is moved aside: `<file>.<why>-<UTC time>`. */
export function asideName(file: string, why: 'unreadable' | 'imported'): string {
  const time = new Date().toISOString().replace(/[:.]/g, '-');
  return `${file}.${why}-${time}`;
}

/** Moves a file out of the way (never deletes it); returns the new path. */
export async function moveAside(file: string, why: 'unreadable' | 'imported'): Promise<string> {
  const target = asideName(file, why);
  await rename(file, target);
  return target;
}
