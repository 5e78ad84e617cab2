// Jake's tools for agents' work: `agent_changes` (what an agent changed: a diffstat and a
// bounded patch for him to read) and `propose_apply` (he proposes applying an agent's changes;
// the human approves it like any permission, and only then is anything written).
import { z } from 'zod';
import type { PermissionDecision } from '../../../protocol/wire';
import type { EngineTool } from '../../../runtime/engines/engine';
import type { Coordinator } from '../coordinator/coordinator';
import { AgentReview } from '../workspace/agentReview';

/** How much patch Jake reads at once. */
const PATCH_BYTES = 24_000;

export type AskHuman = (tool: string, input: unknown) => Promise<PermissionDecision>;

export function reviewTools(coordinator: Coordinator, ask: AskHuman): EngineTool[] {
  const review = (): AgentReview => {
    if (!coordinator.workspace)
      throw new Error(
        'This window shows the project read-only: review in the window that owns it.',
      );
    return new AgentReview(coordinator, coordinator.workspace);
  };
  return [
    {
      name: 'agent_changes',
      description:
        'What an agent changed on its own branch (by name or id): its files with +/- counts, files that run code flagged, and a patch (cut when long). Read it before telling the human the work is good.',
      inputShape: { agent: z.string().min(1) },
      handler: async (args) => {
        const { agent } = z.object({ agent: z.string().min(1) }).parse(args);
        const a = coordinator.agentWorkspace(agent);
        if (!a.client) throw new Error(`${a.name}'s worker is not connected right now.`);
        const changes = await coordinator.workspace!.changes(a.client, a.id, PATCH_BYTES);
        if (changes.files.length === 0)
          return `${a.name} has committed no changes on ${changes.branch} yet.`;
        const flags = await coordinator.workspace!.risky(
          changes.base,
          changes.head,
          changes.files.map((f) => f.path),
        );
        const risky = new Map(flags.map((f) => [f.path, f.reason]));
        const stat = changes.files
          .map(
            (f) =>
              `${f.status} ${f.path} +${f.additions} -${f.deletions}${f.binary ? ' (binary)' : ''}${risky.has(f.path) ? ` [runs code: ${risky.get(f.path)}]` : ''}`,
          )
          .join('\n');
        const patch = changes.patch
          ? `\n\n${changes.patch.text}${changes.patch.cut ? '\n[patch cut: ask the human to review the rest in the Changes view]' : ''}`
          : '';
        return `${a.name}'s branch ${changes.branch} (from ${changes.base.slice(0, 10)}), ${changes.files.length} file(s):\n${stat}${patch}`;
      },
    },
    {
      name: 'propose_apply',
      description:
        "Propose applying an agent's changes to the human's files (all, or some paths). The human approves or declines; an approved apply is a 3-way merge that keeps their own edits, with a backup for undo.",
      inputShape: {
        agent: z.string().min(1),
        paths: z.array(z.string()).optional(),
        why: z.string().optional(),
      },
      handler: async (args) => {
        const input = z
          .object({
            agent: z.string().min(1),
            paths: z.array(z.string()).optional(),
            why: z.string().optional(),
          })
          .parse(args);
        const a = coordinator.agentWorkspace(input.agent);
        const decision = await ask('Apply changes', {
          agent: a.name,
          branch: a.workspace.branch,
          ...(input.paths ? { paths: input.paths } : { paths: 'all' }),
          ...(input.why ? { why: input.why } : {}),
        });
        if (decision.decision !== 'allow')
          return `The human declined applying ${a.name}'s changes${decision.message ? `: ${decision.message}` : ''}.`;
        const result = await review().apply(a.id, input.paths);
        if (result.status === 'conflicts')
          return `Applied with conflicts in ${result.conflicts.join(', ')} (marked in the files; the human resolves them or undoes it). ${result.written.length} file(s) written.`;
        return result.status === 'nothing'
          ? `Nothing to apply: the human's files already have ${a.name}'s changes.`
          : `Applied ${a.name}'s changes: ${result.written.length} file(s) written, ${result.deleted.length} deleted. A backup allows undo.`;
      },
    },
  ];
}
