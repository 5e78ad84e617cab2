// Reviewing an agent's work: its changed files (with the ones that run code flagged), its
// branch brought into the user's repository, and the actions on it: apply all or one file
// (a 3-way merge with a backup first), undo the last apply, check out the branch, discard it.
import type { FileChange } from '../../../protocol/workspaceWire';
import type { Coordinator } from '../coordinator/coordinator';
import type { ApplyResult, UndoResult } from './index';
import type { ProjectWorkspace } from './projectWorkspace';

export interface ReviewFile extends FileChange {
  /** Why this file deserves a look before applying: it runs code (tasks, CI, scripts...). */
  risk?: string;
}

export interface Review {
  agentId: string;
  agentName: string;
  branch: string;
  base: string;
  head: string;
  files: ReviewFile[];
  /** The worker shares this disk: the worktree can be opened as a folder. */
  sameDisk: boolean;
  /** The last apply's backup ref: Undo restores the files from it. */
  lastApply?: string;
}

export class AgentReview {
  constructor(
    private readonly coordinator: Coordinator,
    private readonly workspace: ProjectWorkspace,
  ) {}

  /** Its changes, with its branch fetched into the user's repository (for diffs and apply). */
  async review(agent: string): Promise<Review> {
    const a = this.coordinator.agentWorkspace(agent);
    if (!a.client)
      throw new Error(`${a.name}'s worker is not connected: its changes come back when it does.`);
    const changes = await this.workspace.changes(a.client, a.id);
    await this.workspace.fetch(a.client, a.id, a.workspace.sameDisk);
    const flags = await this.workspace.risky(
      changes.base,
      changes.head,
      changes.files.map((f) => f.path),
    );
    const risk = new Map(flags.map((f) => [f.path, f.reason]));
    return {
      agentId: a.id,
      agentName: a.name,
      branch: changes.branch,
      base: changes.base,
      head: changes.head,
      files: changes.files.map((f) => (risk.has(f.path) ? { ...f, risk: risk.get(f.path)! } : f)),
      sameDisk: a.workspace.sameDisk,
      ...(a.workspace.lastApply ? { lastApply: a.workspace.lastApply.backupRef } : {}),
    };
  }

  /** Applies all of its changes, or `paths` only; the user's edits survive (3-way, backup). */
  async apply(agent: string, paths?: string[]): Promise<ApplyResult> {
    const review = await this.review(agent);
    const result = await this.workspace.apply(review.branch, review.base, paths);
    if (result.backupRef) this.coordinator.noteApply(review.agentId, result.backupRef);
    return result;
  }

  /** Restores the user's files from before the last apply. */
  async undo(agent: string): Promise<UndoResult> {
    const a = this.coordinator.agentWorkspace(agent);
    const backup = a.workspace.lastApply?.backupRef;
    if (!backup) throw new Error(`Nothing to undo: ${a.name}'s changes were not applied here.`);
    const result = await this.workspace.undo(backup);
    this.coordinator.noteApply(a.id, undefined);
    return result;
  }

  async checkout(agent: string): Promise<string> {
    const review = await this.review(agent);
    await this.workspace.checkout(review.branch);
    return review.branch;
  }

  /** Deletes its branch (the caller asked the user first). */
  async discard(agent: string): Promise<string> {
    const a = this.coordinator.agentWorkspace(agent);
    await this.workspace.discard(a.workspace.branch, a.id);
    return a.workspace.branch;
  }
}
