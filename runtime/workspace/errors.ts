// The errors of agent workspaces: one class with a stable `kind` the protocol layer maps to
// a JSON-RPC code, and a message that says what happened and what to do next.

export type WorkspaceErrorKind =
  /** A git command failed (the message quotes git's own words). */
  | 'GitFailed'
  /** git is not installed or not on PATH. */
  | 'GitMissing'
  /** A bundle failed `git bundle verify` (corrupt, truncated, or missing prerequisites). */
  | 'BadBundle'
  /** A push or spawn named a project this worker has no mirror for. */
  | 'UnknownProject'
  /** A chunk named an upload that was never started or already finished. */
  | 'UnknownUpload'
  /** A chunk arrived out of order, or an upload grew past its byte cap. */
  | 'BadChunk'
  /** A commit the caller named is not in the repository (push the snapshot first). */
  | 'MissingCommit'
  /** An agent has no worktree (pull, changes or removal for an agent without a workspace). */
  | 'NoWorkspace'
  /** A path leaves the worktree or repository (`..`, absolute, or a symlink leading out). */
  | 'PathEscape'
  /** A worktree still has uncommitted work; commit it before removing. */
  | 'DirtyWorktree'
  /** An id or name that cannot be used as a path component or ref name. */
  | 'BadName'
  /** A previous apply was interrupted; restore or clear it first. */
  | 'ApplyInterrupted'
  /** The user's repository is in a state we will not change (e.g. branch checked out). */
  | 'Refused';

export class WorkspaceError extends Error {
  constructor(
    readonly kind: WorkspaceErrorKind,
    message: string,
    readonly detail?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'WorkspaceError';
  }
}

export function isWorkspaceError(
  error: unknown,
  kind?: WorkspaceErrorKind,
): error is WorkspaceError {
  return error instanceof WorkspaceError && (kind === undefined || error.kind === kind);
}
