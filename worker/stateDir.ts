// The state dir holds assignments, system prompts and tool output: it must be private to the
// user running the worker. Created 0700 (files 0600); modes that let others in, found at
// start, are tightened with a warning (logged and sent to coordinators as a notice).
import { chmod, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../protocol/errors';
import type { WorkerNotice } from '../protocol/wire';
import type { Logger } from '../runtime/log';
import { DIR_MODE, ensurePrivateDir, FILE_MODE } from '../runtime/privateFiles';

/** Subdirectories whose files are ours and small in number (not git mirrors). */
const OWN_SUBDIRS = ['journal', 'agents', 'tls'];

export async function prepareStateDir(stateDir: string, log: Logger): Promise<WorkerNotice[]> {
  ensurePrivateDir(stateDir);
  if (process.platform === 'win32') return []; // modes mean nothing there; ACLs apply
  const loosened: string[] = [];
  const tighten = async (path: string, isDir: boolean): Promise<void> => {
    const stats = await lstat(path);
    if (stats.isSymbolicLink() || (stats.mode & 0o077) === 0) return;
    await chmod(path, isDir ? DIR_MODE : FILE_MODE);
    loosened.push(`${path} (was ${(stats.mode & 0o777).toString(8)})`);
  };
  try {
    await tighten(stateDir, true);
    for (const entry of await readdir(stateDir, { withFileTypes: true })) {
      const path = join(stateDir, entry.name);
      await tighten(path, entry.isDirectory());
      if (!entry.isDirectory() || !OWN_SUBDIRS.includes(entry.name)) continue;
      for (const inner of await readdir(path, { withFileTypes: true }))
        await tighten(join(path, inner.name), inner.isDirectory());
    }
  } catch (error) {
    const message = `Could not check the modes of ${stateDir}: ${errorMessage(error)}. Make sure only you can read it (chmod -R go-rwx).`;
    log.warn(message);
    return [{ level: 'warning', message }];
  }
  if (loosened.length === 0) return [];
  const message = `The state dir ${stateDir} was readable by other users; tightened ${loosened.length} path(s) to 0700/0600: ${loosened.slice(0, 5).join(', ')}${loosened.length > 5 ? ', ...' : ''}.`;
  log.warn(message);
  return [{ level: 'warning', message }];
}
