// Files of an agent's branch (or its start) for VS Code's diff editors: `tavern-git:` URIs
// whose query names the repository and the commit, read with `git show commit:path`. Read-only
// documents; a file that does not exist at that commit reads as empty (added or deleted).
import * as vscode from 'vscode';
import { gitBounded } from '../../runtime/workspace/git';
import type { UserRepo } from '../core/workspace';

export const GIT_SCHEME = 'tavern-git';
/** Bigger files are shown cut, with a note (a diff editor is no place for 50 MB). */
const MAX_BYTES = 8 * 1024 * 1024;

interface Query {
  root: string;
  env: Record<string, string>;
  commit: string;
}

export function gitUri(repo: UserRepo, commit: string, path: string): vscode.Uri {
  const query: Query = { root: repo.root, env: repo.env, commit };
  return vscode.Uri.from({
    scheme: GIT_SCHEME,
    path: `/${path}`,
    query: JSON.stringify(query),
  });
}

export class GitContentProvider implements vscode.TextDocumentContentProvider {
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const query = JSON.parse(uri.query) as Query;
    const path = uri.path.replace(/^\//, '');
    const shown = await gitBounded(['show', `${query.commit}:${path}`], {
      cwd: query.root,
      env: query.env,
      okCodes: [128], // not at that commit: added or deleted
      maxBytes: MAX_BYTES,
    });
    const text = shown.stdout.toString('utf8');
    return shown.cut ? `${text}\n… [cut by Tavern: larger than 8 MB]` : text;
  }
}
