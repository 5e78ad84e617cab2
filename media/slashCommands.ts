// The composer's slash commands (/help, /cost, /status, /stop, /login, /key, /demo, /dismiss):
// each answers in the local note under the transcript or asks the host to act.
import type { AgentRow, WebviewMessage } from '../protocol/webview';
import { SLASH_HELP } from './composer';

export interface SlashContext {
  /** Who is selected (undefined: nobody). */
  agent: AgentRow | undefined;
  /** Events of the selected agent's transcript so far (its last seq). */
  events: number;
  note(...lines: string[]): void;
  post(message: WebviewMessage): void;
  usageText(agent: AgentRow): string;
}

/** Runs `/name`; false when there is no such command (said in the note). */
export function runSlash(name: string, ctx: SlashContext): boolean {
  const { agent, note, post } = ctx;
  switch (name) {
    case 'help':
      note('Commands:', ...SLASH_HELP.map(([c, d]) => `${c} — ${d}`));
      return true;
    case 'cost':
      if (!agent) return (note('Nobody is selected.'), true);
      note(`${agent.name}, all turns so far: ${ctx.usageText(agent)}.`);
      return true;
    case 'status':
      if (!agent) return (note('Nobody is selected.'), true);
      note(
        `${agent.name}: ${agent.state}${agent.stateReason ? ` (${agent.stateReason})` : ''} on ${agent.workerName}, ${agent.engine} engine, ${ctx.events} events.`,
      );
      return true;
    case 'stop':
      if (agent) post({ type: 'interrupt', agentId: agent.id });
      return true;
    case 'login':
      post({ type: 'welcome', action: 'signIn' });
      return true;
    case 'key':
      post({ type: 'welcome', action: 'apiKey' });
      return true;
    case 'demo':
      post({ type: 'welcome', action: 'demo' });
      return true;
    case 'dismiss':
      if (!agent) return (note('Nobody is selected.'), true);
      if (agent.isJake) return (note('Jake cannot be dismissed: he runs the place.'), true);
      post({ type: 'dismiss', agentId: agent.id });
      return true;
    default:
      note(`Unknown command /${name}. Type /help for the list.`);
      return false;
  }
}
