// Jake's tools: the coordinator's powers, answered in plain, exact text (the voice never
// leaks into tool results).
import { z } from 'zod';
import { EngineNameSchema, PermissionModeSchema } from '../../../protocol/agentEvents';
import type { EngineTool } from '../../../runtime/engines/engine';
import type { Coordinator } from '../coordinator/coordinator';
import type { WorkerPool } from '../workers/workerPool';
import { reviewTools, type AskHuman } from './reviewTools';

const SummonArgs = {
  assignment: z.string().min(1),
  name: z.string().optional(),
  worker: z.string().optional(),
  engine: EngineNameSchema.optional(),
  permissionMode: PermissionModeSchema.optional(),
};

export function jakeTools(coordinator: Coordinator, pool: WorkerPool, ask: AskHuman): EngineTool[] {
  return [
    ...reviewTools(coordinator, ask),
    {
      name: 'summon_agent',
      description:
        'Summon a new agent that starts working on its assignment at once. Returns its name and worker.',
      inputShape: SummonArgs,
      handler: async (args) => {
        const input = z.object(SummonArgs).parse(args);
        const agent = await coordinator.summon(input);
        const worker = pool.summaries().find((w) => w.id === agent.workerId);
        return `Summoned ${agent.name} (id ${agent.id}) on worker ${worker?.name ?? agent.workerId} with the ${agent.engine} engine. It is working on its assignment now.`;
      },
    },
    {
      name: 'list_agents',
      description: "List this project's agents with their state, worker and assignment.",
      inputShape: {},
      handler: async () => {
        const agents = coordinator.list();
        if (agents.length === 0) return 'No agents in this project.';
        return agents
          .map(
            (a) =>
              `${a.name} (id ${a.id}): ${a.state}${a.stateReason ? ` (${a.stateReason})` : ''}; worker ${a.workerId}; ${a.assignment ? `assignment: ${a.assignment.slice(0, 200)}` : 'no assignment'}`,
          )
          .join('\n');
      },
    },
    {
      name: 'message_agent',
      description: "Send a message to one of this project's agents (by name or id).",
      inputShape: { agent: z.string().min(1), text: z.string().min(1) },
      handler: async (args) => {
        const { agent, text } = z
          .object({ agent: z.string().min(1), text: z.string().min(1) })
          .parse(args);
        await coordinator.send(agent, text, 'jake');
        return `Sent to ${agent}.`;
      },
    },
    {
      name: 'dismiss_agent',
      description: "Dismiss one of this project's agents (by name or id); its transcript is kept.",
      inputShape: { agent: z.string().min(1) },
      handler: async (args) => {
        const { agent } = z.object({ agent: z.string().min(1) }).parse(args);
        await coordinator.dismiss(agent);
        return `Dismissed ${agent}.`;
      },
    },
    {
      name: 'list_workers',
      description: 'List the workers agents can run on, with status, load and usable engines.',
      inputShape: {},
      handler: async () => {
        const workers = pool.summaries();
        if (workers.length === 0)
          return 'No workers are attached. The human can attach one with "Tavern: Attach Worker".';
        return workers
          .map(
            (w) =>
              `${w.name} (${w.isLocal ? 'local' : 'remote'}, ${w.url}): ${w.status}${w.error ? ` (${w.error})` : ''}; agents ${w.agents}/${w.maxAgents ?? '?'}; engines ${w.engines.map((e) => `${e.name}${e.ready ? '' : e.available ? ` (not ready: ${e.reason ?? 'unknown'})` : ' (unavailable)'}`).join(', ')}`,
          )
          .join('\n');
      },
    },
  ];
}
