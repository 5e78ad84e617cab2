// Every permission request waiting for the human, from any agent on any worker and from Jake:
// what the panel shows as cards and badges and the status bar counts. The first answer wins;
// a request settled elsewhere (another window, a timeout, an interrupt) simply disappears.
import { Emitter } from 'vscode-jsonrpc/node';
import type { PermissionDecision } from '../../protocol/wire';
import type { Approval } from '../../protocol/webview';

export interface PendingApproval extends Approval {
  /** The workspace folder whose coordinator routed it. */
  readonly folder: string;
  readonly agentName: string;
  /** The worker that asked: only it may settle the request. */
  readonly workerId: string;
  readonly since: number;
}

type Answer = (decision: PermissionDecision, always: boolean) => void;

const keyOf = (agentId: string, requestId: string): string => `${agentId}\u0000${requestId}`;

export class Approvals {
  private readonly pending = new Map<string, { approval: PendingApproval; answer: Answer }>();
  private readonly changed = new Emitter<void>();
  private readonly added = new Emitter<PendingApproval>();
  readonly onChanged = this.changed.event;
  /** A new request (the host decides whether it deserves a notification). */
  readonly onAdded = this.added.event;

  add(approval: Omit<PendingApproval, 'since'>, answer: Answer): void {
    const full: PendingApproval = { ...approval, since: Date.now() };
    this.pending.set(keyOf(approval.agentId, approval.requestId), { approval: full, answer });
    this.added.fire(full);
    this.changed.fire();
  }

  /** Answers a pending request; false when it is no longer pending (answered or settled). */
  answer(
    agentId: string,
    requestId: string,
    decision: PermissionDecision,
    always = false,
  ): boolean {
    const key = keyOf(agentId, requestId);
    const entry = this.pending.get(key);
    if (!entry) return false;
    this.pending.delete(key);
    entry.answer(decision, always);
    this.changed.fire();
    return true;
  }

  /**
   * Settled somewhere else (another window, a timeout, an interrupt): drop it without
   * answering. Only the worker that asked may say so; the host's own requests pass no worker.
   */
  settled(agentId: string, requestId: string, workerId?: string): boolean {
    const key = keyOf(agentId, requestId);
    const entry = this.pending.get(key);
    if (!entry || (workerId !== undefined && entry.approval.workerId !== workerId)) return false;
    this.pending.delete(key);
    this.changed.fire();
    return true;
  }

  /** Drops everything an agent had pending (it was dismissed, or its worker detached). */
  forgetAgent(agentId: string): void {
    let any = false;
    for (const [key, entry] of this.pending)
      if (entry.approval.agentId === agentId) any = this.pending.delete(key) || any;
    if (any) this.changed.fire();
  }

  list(folder?: string): PendingApproval[] {
    return [...this.pending.values()]
      .map((e) => e.approval)
      .filter((a) => folder === undefined || a.folder === folder);
  }

  get size(): number {
    return this.pending.size;
  }

  dispose(): void {
    this.changed.dispose();
    this.added.dispose();
  }
}
