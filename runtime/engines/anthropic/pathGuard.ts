// Keeps the anthropic engine's file tools inside the agent's cwd: `..`, absolute paths
// elsewhere and symlinks that lead out are refused with a message the model can act on.
import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

export class PathEscapeError extends Error {}

function inside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(sep));
}

/** Nearest existing ancestor's real path, plus the rest: resolves symlinks in what exists. */
function realish(target: string): string {
  let existing = target;
  const rest: string[] = [];
  while (!existsSync(existing)) {
    const parent = dirname(existing);
    if (parent === existing) break;
    rest.unshift(existing.slice(parent.length + 1));
    existing = parent;
  }
  return resolve(realpathSync(existing), ...rest);
}

/** Resolves `path` against `cwd` and returns it only if it stays inside `cwd`, symlinks included. */
export function confine(cwd: string, path: string): string {
  const root = realpathSync(cwd);
  const target = resolve(root, path);
  if (!inside(root, target)) {
    throw new PathEscapeError(
      `Refused: ${path} is outside your working directory ${root}. Use a path inside it.`,
    );
  }
  if (!inside(root, realish(target))) {
    throw new PathEscapeError(
      `Refused: ${path} is a symlink (or inside one) that leads outside your working directory ${root}.`,
    );
  }
  return target;
}
