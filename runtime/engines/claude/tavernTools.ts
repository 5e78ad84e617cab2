// The in-process MCP server every Claude agent gets: `report` (how an agent says it is done,
// blocked or needs input: structured, never guessed from its text) plus the context's tools
// (Jake's summon_agent and friends).
import {
  createSdkMcpServer,
  tool,
  type McpSdkServerConfigWithInstance,
} from '@anthropic-ai/claude-agent-sdk';
import { z } from 'zod';
import type { EngineContext } from '../engine';

export const TAVERN_SERVER = 'tavern';

export const REPORT_INSTRUCTIONS = `You are an agent of Tavern, working on an assignment from the user (through Jake, the coordinator).
When you have finished the assignment, call the ${TAVERN_SERVER} report tool with status "done" and a short, exact summary of what you did.
If you cannot continue without a decision or information from the user, call it with status "needs_input" and say what you need.
If something outside your control blocks you, call it with status "blocked" and say what would unblock you.`;

export function createTavernServer(ctx: EngineContext): McpSdkServerConfigWithInstance {
  const report = tool(
    'report',
    'Report your status to the coordinator: done (with a summary), needs_input (say what you need) or blocked (say what would unblock you).',
    { status: z.enum(['done', 'blocked', 'needs_input']), summary: z.string().min(1) },
    async (args) => {
      ctx.report(args.status, args.summary);
      return { content: [{ type: 'text', text: `Reported ${args.status} to the coordinator.` }] };
    },
  );
  const extra = ctx.tools.map((t) =>
    tool(t.name, t.description, t.inputShape, async (args: Record<string, unknown>) => {
      try {
        return { content: [{ type: 'text', text: await t.handler(args) }] };
      } catch (error) {
        return {
          content: [{ type: 'text', text: error instanceof Error ? error.message : String(error) }],
          isError: true,
        };
      }
    }),
  );
  return createSdkMcpServer({
    name: TAVERN_SERVER,
    version: '1.0.0',
    tools: ctx.role === 'agent' ? [report, ...extra] : extra,
  });
}
