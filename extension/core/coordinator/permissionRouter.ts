// A project's permission requests: answered at once by the user's always-allow rule for that
// tool on the worker that asked, or put to the user (an approval card or a notification) and
// answered when they decide. "Always allow" makes a rule for that tool on that worker only.
import { Emitter } from 'vscode-jsonrpc/node';
import type { PermissionDecision, PermissionRequestParams } from '../../../protocol/wire';
import type { WorkerPool } from '../workers/workerPool';
import { PermissionRules, ruleScope, type Rule, type RuleStorage } from './permissionRules';

/** A request put to the user, with the agent as the panel shows it. */
export interface PendingPermission<Agent> {
  agent: Agent;
  request: PermissionRequestParams;
  answer(d: PermissionDecision, always?: boolean): void;
}

export class PermissionRouter<Agent extends { name: string; workerName: string }> {
  private readonly rules: PermissionRules;
  private readonly asked = new Emitter<PendingPermission<Agent>>();
  readonly onRequest = this.asked.event;

  constructor(
    storage: RuleStorage | undefined,
    private readonly pool: WorkerPool,
    private readonly log: (message: string) => void,
  ) {
    this.rules = new PermissionRules(storage ?? memoryRules());
  }

  /** Answers a request from `workerId` for `agent` (the caller checked that it hosts it). */
  route(
    workerId: string,
    agent: Agent,
    request: PermissionRequestParams,
  ): Promise<PermissionDecision> {
    const scope = ruleScope({
      isLocal: this.pool.isLocal(workerId),
      workerId: this.pool.get(workerId)?.hello?.workerId,
    });
    const rule = request.request === 'tool' ? this.rules.allowing(request.tool, scope) : undefined;
    if (rule) {
      this.log(
        `auto-allowed ${request.tool} for ${agent.name} on ${rule.scopeLabel} (your always-allow rule "${rule.tool}")`,
      );
      return Promise.resolve({
        decision: 'allow',
        message: `Allowed by your always-allow rule for ${rule.tool} on ${rule.scopeLabel}.`,
      });
    }
    return new Promise((resolve) => {
      this.asked.fire({
        agent,
        request,
        answer: (decision, always) => {
          if (always && decision.decision === 'allow')
            this.rules.add(
              request.tool,
              scope,
              scope === 'local' ? 'the local worker' : `remote worker ${agent.workerName}`,
            );
          resolve(decision);
        },
      });
    });
  }

  /** This project's always-allow rules (the user's, from VS Code's storage). */
  list(): readonly Rule[] {
    return this.rules.list();
  }

  add(tool: string, scope: string, scopeLabel: string): void {
    this.rules.add(tool, scope, scopeLabel);
  }

  revoke(tool: string, scope: string): boolean {
    return this.rules.revoke(tool, scope);
  }

  dispose(): void {
    this.asked.dispose();
  }
}

function memoryRules(): RuleStorage {
  let saved: unknown = [];
  return { load: () => saved, save: (rules) => (saved = [...rules]) };
}
