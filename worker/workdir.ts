// Where agents may work (inside the worker's workdir) and the worker's stable identity.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { nanoid } from 'nanoid';
import { ErrorCode } from '../protocol/errors';
import { ensurePrivateDir, FILE_MODE } from '../runtime/privateFiles';
import { WorkerError } from './workerApi';

/** An agent's cwd, checked to lie inside the workdir and to exist. */
export function resolveCwd(
  workdirOption: string,
  cwd: string | undefined,
  workerName: string,
): string {
  const workdir = resolve(workdirOption);
  const target = resolve(workdir, cwd ?? '.');
  const rel = relative(workdir, target);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new WorkerError(
      ErrorCode.InvalidParams,
      `cwd "${cwd}" is outside this worker's workdir ${workdir}. Give a path inside it, or start the worker with --workdir pointing higher.`,
      { issues: [{ path: 'cwd', message: 'outside workdir' }] },
    );
  }
  if (!existsSync(target) || !statSync(target).isDirectory()) {
    throw new WorkerError(
      ErrorCode.InvalidParams,
      `cwd "${cwd}" does not exist on worker ${workerName} (resolved to ${target}). Create it first or pick another folder.`,
      { issues: [{ path: 'cwd', message: 'no such directory' }] },
    );
  }
  return target;
}

/** The worker's id, kept in the state dir so it survives restarts. */
export function stableWorkerId(stateDir: string | undefined): string {
  if (!stateDir) return nanoid(12);
  const file = join(stateDir, 'worker-id');
  try {
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    ensurePrivateDir(stateDir);
    const id = nanoid(12);
    writeFileSync(file, id + '\n', { mode: FILE_MODE });
    return id;
  } catch {
    return nanoid(12);
  }
}
