// Host messages for the panel tests: a squad (Jake and Frodo) and transcripts built from
// agent events the way the coordinator stores them.
import type { AgentEvent, AgentEventEnvelope } from '../../protocol/agentEvents';
import type { AgentRow, Approval, HostMessage } from '../../protocol/webview';

export function envelopes(
  agentId: string,
  events: AgentEvent[],
  firstSeq = 1,
): AgentEventEnvelope[] {
  return events.map((event, i) => ({
    agentId,
    seq: firstSeq + i,
    time: 1_700_000_000_000 + i,
    event,
  }));
}

export function row(overrides: Partial<AgentRow> & { id: string; name: string }): AgentRow {
  return {
    isJake: false,
    state: 'working',
    workerName: 'local',
    engine: 'claude',
    pendingApprovals: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    ...overrides,
  };
}

export const JAKE = row({
  id: 'jake',
  name: 'Jake',
  isJake: true,
  state: 'waiting',
  stateReason: 'input',
  workerName: 'extension host',
  description: 'Coordinator',
});

export function squad(agents: AgentRow[], approvals: Approval[] = []): HostMessage {
  return {
    type: 'squad',
    folders: [{ id: '/work/demo', name: 'demo' }],
    folder: '/work/demo',
    agents,
    approvals,
  };
}

/** A long, varied transcript: n events of text deltas, thinking, tool calls and results. */
export function longTranscript(agentId: string, n: number): AgentEventEnvelope[] {
  const events: AgentEvent[] = [];
  for (let i = 0; events.length < n; i++) {
    events.push({ kind: 'user', text: `Question ${i}` });
    events.push({ kind: 'thinking', text: `Thinking about ${i}` });
    events.push({ kind: 'text', text: `Answer ${i} with **bold** and ` });
    events.push({ kind: 'text', text: '`code`.\n\n```ts\nconst x = 1;\n```\n' });
    events.push({
      kind: 'tool_use',
      id: `t${i}`,
      name: 'Edit',
      input: { file_path: `src/f${i}.ts`, old_string: 'a\nb', new_string: 'a\nc' },
    });
    events.push({ kind: 'tool_result', id: `t${i}`, content: 'ok', isError: false });
    events.push({
      kind: 'result',
      ok: true,
      inputTokens: 10,
      outputTokens: 20,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: 0.001,
      turns: 1,
      durationMs: 900,
    });
  }
  return envelopes(agentId, events.slice(0, n));
}
