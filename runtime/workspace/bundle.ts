// git bundles, both directions: create one of some refs minus what the other side has,
// verify one against a repository, read the refs it carries, and fetch it in.
import { open, stat } from 'node:fs/promises';
import { WorkspaceError, isWorkspaceError } from './errors';
import { git, gitText } from './git';

export interface BundleHead {
  commit: string;
  ref: string;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Keeps only full commit ids (a `have` list comes from the other side: trust nothing). */
export function onlyShas(list: readonly string[]): string[] {
  return [...new Set(list.filter((s) => SHA.test(s)))];
}

/** Of `commits`, those this repository has as commit objects. */
export async function existingCommits(
  cwd: string,
  commits: readonly string[],
  env?: Record<string, string>,
): Promise<string[]> {
  const wanted = onlyShas(commits);
  if (wanted.length === 0) return [];
  const out = await gitText(['cat-file', '--batch-check=%(objectname) %(objecttype)'], {
    cwd,
    ...(env ? { env } : {}),
    input: wanted.join('\n') + '\n',
    doing: 'checking which commits are already here',
  });
  return out
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([, type]) => type === 'commit')
    .map(([sha]) => sha!);
}

/**
 * Writes a bundle of `refs` (full ref names) without what `have` already reaches. Returns
 * null when there is nothing to send (everything is in `have`).
 */
export async function createBundle(
  cwd: string,
  file: string,
  refs: readonly string[],
  have: readonly string[] = [],
  env?: Record<string, string>,
  /** Commits known to be in `cwd` and on the other side (no check needed). */
  sharedBase: readonly string[] = [],
): Promise<{ file: string; bytes: number } | null> {
  const known = [...sharedBase, ...(have.length > 0 ? await existingCommits(cwd, have, env) : [])];
  const input = [...refs, ...known.map((c) => `^${c}`)].join('\n') + '\n';
  try {
    await git(['bundle', 'create', '-q', file, '--stdin'], {
      cwd,
      input,
      ...(env ? { env } : {}),
      doing: `bundling ${refs.join(', ')}`,
    });
  } catch (error) {
    if (isWorkspaceError(error) && /empty bundle/i.test(String(error.detail?.stderr ?? ''))) {
      return null;
    }
    throw error;
  }
  return { file, bytes: (await stat(file)).size };
}

export interface BundleHeader {
  prerequisites: string[];
  heads: BundleHead[];
}

/**
 * Reads a bundle's header (v2 or v3) without running git: its prerequisite commits and
 * the refs it carries. Throws BadBundle when the file does not start like a bundle.
 */
export async function readBundleHeader(file: string): Promise<BundleHeader> {
  const handle = await open(file, 'r');
  try {
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, total);
      if (bytesRead === 0) break;
      parts.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      const text = Buffer.concat(parts).toString('latin1');
      const end = text.indexOf('\n\n');
      if (end >= 0) return parseHeader(text.slice(0, end + 1));
      if (total > 64 * 1024 * 1024) break;
    }
  } finally {
    await handle.close();
  }
  throw new WorkspaceError(
    'BadBundle',
    `${file} is not a git bundle (no header end): send it again.`,
  );
}

function parseHeader(text: string): BundleHeader {
  const lines = text.split('\n').filter(Boolean);
  if (!/^# v[23] git bundle$/.test(lines[0] ?? '')) {
    throw new WorkspaceError(
      'BadBundle',
      'This is not a git bundle (it does not start with "# v2 git bundle"): send it again.',
    );
  }
  const header: BundleHeader = { prerequisites: [], heads: [] };
  for (const line of lines.slice(1)) {
    if (line.startsWith('@')) continue; // v3 capabilities
    if (line.startsWith('-')) header.prerequisites.push(line.slice(1, 41));
    else {
      const space = line.indexOf(' ');
      header.heads.push({ commit: line.slice(0, space), ref: line.slice(space + 1) });
    }
  }
  return header;
}

/**
 * Verifies that `file` is a whole bundle whose prerequisites `cwd` has; throws BadBundle
 * with git's words otherwise. Returns its heads.
 */
export async function verifyBundle(
  cwd: string,
  file: string,
  env?: Record<string, string>,
): Promise<BundleHead[]> {
  const result = await git(['bundle', 'verify', '-q', file], {
    cwd,
    okCodes: [1, 128],
    ...(env ? { env } : {}),
  });
  if (result.code !== 0) {
    const said = (result.stderr || result.stdout).trim().split('\n').slice(0, 6).join(' / ');
    throw new WorkspaceError(
      'BadBundle',
      `The bundle failed verification and nothing was fetched: ${said}. ` +
        'Send it again; if it names missing commits, ask for the refs (workspace/refs) and send a full bundle.',
    );
  }
  return (await readBundleHeader(file)).heads;
}

/**
 * Fetches `refspecs` from a verified bundle into the repository at `cwd`. `bundle verify`
 * reads only the header, so a damaged pack shows here: git checks every object and its
 * checksum and updates no ref when one is wrong; that is reported as BadBundle.
 */
export async function fetchBundle(
  cwd: string,
  file: string,
  refspecs: readonly string[],
  env?: Record<string, string>,
): Promise<void> {
  const result = await git(
    [
      '-c',
      'fetch.showForcedUpdates=false',
      'fetch',
      '-q',
      '--no-tags',
      '--no-write-fetch-head',
      '--no-recurse-submodules',
      file,
      ...refspecs,
    ],
    { cwd, okCodes: [1, 128], ...(env ? { env } : {}) },
  );
  if (result.code === 0) return;
  const said = result.stderr.trim().split('\n').slice(0, 6).join(' / ');
  if (/lacks these prerequisite/i.test(said)) {
    throw new WorkspaceError(
      'BadBundle',
      `The bundle builds on commits this repository does not have, so nothing was fetched: ${said}. ` +
        'Ask for the refs again (workspace/refs) and send a bundle made against them.',
      { stderr: result.stderr },
    );
  }
  const damaged =
    /index-pack|inflate|bad object|checksum|pack has|pack signature|truncated|premature|unpack/i.test(
      said,
    );
  throw new WorkspaceError(
    damaged ? 'BadBundle' : 'GitFailed',
    damaged
      ? `The bundle is damaged and nothing was fetched: ${said}. Send it again.`
      : `Fetching the bundle failed and nothing was fetched: ${said}.`,
    { stderr: result.stderr },
  );
}
