// Keeps the anthropic engine's file tools inside the agent's cwd: `..`, absolute paths
// elsewhere and symlinks that lead out are refused with a message the model can act on.
import { existsSync, lstatSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

export class PathEscapeError extends Error {}

function inside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(sep));
}

function lstatOf(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Where a write to `target` would land: the nearest existing ancestor's real path plus the
 * rest. A dangling symlink on the way counts as where it points (a write through it creates
 * its target), not as a name that does not exist yet.
 */
function realish(target: string, hops = 0): string {
  if (hops > 40) throw new PathEscapeError(`Refused: ${target} goes through too many symlinks.`);
  let existing = target;
  const rest: string[] = [];
  for (;;) {
    const stat = lstatOf(existing);
    if (stat?.isSymbolicLink() && !existsSync(existing))
      return realish(resolve(dirname(existing), readlinkSync(existing), ...rest), hops + 1);
    if (stat) break;
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
