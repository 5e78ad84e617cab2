// Names and paths that workspace code turns into directories, refs or file writes: ids
// that are safe path components, agent branch names, and repository-relative paths that
// cannot leave the worktree (`..`, absolute paths, symlinks leading out).
import { lstatSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { WorkspaceError } from './errors';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** An id used as a file or ref name component (projectId, agentId, uploadId). */
export function checkId(what: string, id: string): string {
  if (!ID.test(id)) {
    throw new WorkspaceError(
      'BadName',
      `${what} ${JSON.stringify(id)} is not usable: use 1-64 letters, digits, '_' or '-'.`,
    );
  }
  return id;
}

/** `Frodo Baggins` -> `frodo-baggins`: lower case, ASCII, dashes, never empty. */
export function slug(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return s || 'agent';
}

/** The agent's branch: `tavern/<name>-<short id>`; `attempt` > 1 adds a suffix. */
export function agentBranchName(name: string, agentId: string, attempt = 1): string {
  // Coordinators make ids `<name>-<random>`: the short id is taken from the random part, and
  // only letters and digits make it into the branch name.
  const id = checkId('agentId', agentId);
  const tail = id.toLowerCase().startsWith(`${slug(name)}-`) ? id.slice(slug(name).length + 1) : id;
  const short =
    tail
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 8)
      .toLowerCase() || 'agent';
  return `tavern/${slug(name)}-${short}${attempt > 1 ? `-${attempt}` : ''}`;
}

/** A branch we created and may fetch, delete or check out: `tavern/` plus a safe tail. */
export function checkAgentBranch(branch: string): string {
  if (!/^tavern\/[a-z0-9][a-z0-9-]{0,80}$/.test(branch)) {
    throw new WorkspaceError(
      'BadName',
      `${JSON.stringify(branch)} is not a Tavern agent branch (expected tavern/<name>-<id>).`,
    );
  }
  return branch;
}

/**
 * A path relative to the repository root as git prints it (forward slashes). Refuses
 * absolute paths, `..` segments, empty segments, NUL and anything under `.git`.
 */
export function checkRelativePath(path: string): string {
  const parts = path.split('/');
  const bad =
    path.length === 0 ||
    path.includes('\0') ||
    path.includes('\\') ||
    isAbsolute(path) ||
    /^[A-Za-z]:/.test(path) ||
    parts.some((p) => p === '' || p === '.' || p === '..') ||
    parts.some((p) => p.toLowerCase() === '.git');
  if (bad) {
    throw new WorkspaceError(
      'PathEscape',
      `Refused path ${JSON.stringify(path)}: give a path relative to the worktree, without '..', ` +
        `a leading '/', or .git.`,
    );
  }
  return path;
}

/**
 * Resolves a relative path under `root` and refuses it when any existing ancestor inside
 * the root is a symlink (a write through it could land outside). Returns the absolute path.
 */
export function confinedPath(root: string, path: string): string {
  checkRelativePath(path);
  const realRoot = realpathSync(root);
  const parts = path.split('/');
  let at = realRoot;
  for (let i = 0; i < parts.length - 1; i++) {
    at = join(at, parts[i]!);
    let stat;
    try {
      stat = lstatSync(at);
    } catch {
      break; // does not exist yet: nothing below it can be a symlink
    }
    if (stat.isSymbolicLink()) {
      throw new WorkspaceError(
        'PathEscape',
        `Refused path ${JSON.stringify(path)}: ${relative(realRoot, at)} is a symlink, and a ` +
          `write through it could leave ${root}.`,
      );
    }
  }
  const target = join(realRoot, ...parts);
  const rel = relative(realRoot, target);
  if (rel.startsWith('..') || isAbsolute(rel) || rel.startsWith(sep)) {
    throw new WorkspaceError(
      'PathEscape',
      `Refused path ${JSON.stringify(path)}: outside ${root}.`,
    );
  }
  return target;
}
