// "Always allow" rules: the user's own, per project, kept in the extension's storage (never in
// a file a repository could ship). A rule names a tool (exactly, or a prefix ending in `*`) and
// the one worker it applies on: the local worker, or one remote worker by its stable id. A rule
// never silently spans workers.
import { z } from 'zod';

export const RuleSchema = z.object({
  /** A tool name, or a prefix ending in `*` (e.g. `mcp__github__*`). */
  tool: z.string().min(1).max(200),
  /** `local`, or `worker:<workerId>` for one remote worker. */
  scope: z.string().min(1).max(300),
  /** What the user saw when the rule was made: "the local worker", "remote worker build-01". */
  scopeLabel: z.string().max(300),
  addedAt: z.string(),
});
export type Rule = z.infer<typeof RuleSchema>;

/** Where a project's rules live (the host gives VS Code's storage; tests give memory). */
export interface RuleStorage {
  load(): unknown;
  save(rules: readonly Rule[]): void;
}

export function ruleScope(worker: { isLocal: boolean; workerId: string | undefined }): string {
  return worker.isLocal ? 'local' : `worker:${worker.workerId ?? 'unknown'}`;
}

const matches = (rule: string, tool: string): boolean =>
  rule.endsWith('*') ? tool.startsWith(rule.slice(0, -1)) : rule === tool;

export class PermissionRules {
  private rules: Rule[];

  constructor(private readonly storage: RuleStorage) {
    const parsed = z.array(RuleSchema).safeParse(storage.load() ?? []);
    this.rules = parsed.success ? parsed.data : [];
  }

  list(): readonly Rule[] {
    return this.rules;
  }

  /** The rule that allows `tool` on the worker of `scope`, if any. */
  allowing(tool: string, scope: string): Rule | undefined {
    return this.rules.find((r) => r.scope === scope && matches(r.tool, tool));
  }

  add(tool: string, scope: string, scopeLabel: string): void {
    if (this.rules.some((r) => r.tool === tool && r.scope === scope)) return;
    this.rules = [...this.rules, { tool, scope, scopeLabel, addedAt: new Date().toISOString() }];
    this.storage.save(this.rules);
  }

  revoke(tool: string, scope: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => !(r.tool === tool && r.scope === scope));
    if (this.rules.length === before) return false;
    this.storage.save(this.rules);
    return true;
  }
}
