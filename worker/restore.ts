// What a restarted worker makes of an agent it finds in its state dir. Every state maps to
// one that is true now: an idle agent stays idle (summoned, waiting for input, done...);
// one that was mid-turn or waiting on a permission lost its engine process with the old
// worker, so it becomes `interrupted` ("worker restarted") and its unanswered permission
// requests are closed as denied in its journal. Nothing here throws for a strange record.
import { readdir, stat } from 'node:fs/promises';
import type { AgentState } from '../protocol/agentEvents';
import { PermissionEventSchema, StateEventSchema } from '../protocol/agentEvents';
import type { Agent } from '../runtime/agent';
import { canTransition } from '../runtime/agentStateMachine';
import type { AgentRecord } from './agentRecords';

export const RESTART_REASON = 'worker restarted';

/** Whether the agent was doing something the restart cut off. */
export function wasCutOff(record: Pick<AgentRecord, 'state' | 'reason'>): boolean {
  if (record.state === 'working') return true;
  return record.state === 'waiting' && (record.reason === 'permission' || record.reason === 'plan');
}

/** The restored agent's state after the restart (events journalled as needed). */
export function settleRestored(agent: Agent, record: AgentRecord): AgentState {
  if (!wasCutOff(record)) return agent.state;
  closePendingPermissions(agent);
  if (canTransition(agent.state, 'interrupted')) agent.setState('interrupted', RESTART_REASON);
  return agent.state;
}

/** Permission requests journalled as pending and never settled: the restart denied them. */
function closePendingPermissions(agent: Agent): void {
  const open = new Map<string, ReturnType<typeof PermissionEventSchema.parse>>();
  for (const line of agent.journal.recentLines()) {
    if (!line.includes('"kind":"permission"')) continue;
    let event: unknown;
    try {
      event = (JSON.parse(line) as { event?: unknown }).event;
    } catch {
      continue;
    }
    const parsed = PermissionEventSchema.safeParse(event);
    if (!parsed.success) continue;
    if (parsed.data.status === 'pending') open.set(parsed.data.requestId, parsed.data);
    else open.delete(parsed.data.requestId);
  }
  for (const ask of open.values())
    agent.emit({
      ...ask,
      status: 'denied',
      message: 'The worker restarted before anyone answered; ask again.',
    });
}

/**
 * The agent's last state as its journal says: the journal is written before anything is
 * published, so it can be newer than the record (whose writes are debounced).
 */
export function lastJournalledState(
  lines: readonly string[],
): { state: AgentState; reason: string | undefined } | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (!line.includes('"kind":"state"')) continue;
    try {
      const parsed = StateEventSchema.safeParse((JSON.parse(line) as { event?: unknown }).event);
      if (parsed.success) return { state: parsed.data.state, reason: parsed.data.reason };
    } catch {
      // A line the restore already validated; skip it if not.
    }
  }
  return undefined;
}

/** Journals in `dir` that no record mentions (their record was unreadable or deleted). */
export async function orphanJournals(
  dir: string,
  known: (agentId: string) => boolean,
): Promise<{ agentId: string; modifiedAt: number }[]> {
  const out: { agentId: string; modifiedAt: number }[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (!name.endsWith('.jsonl')) continue;
    const agentId = decodeURIComponent(name.slice(0, -'.jsonl'.length));
    if (known(agentId)) continue;
    const modifiedAt = (await stat(`${dir}/${name}`).catch(() => undefined))?.mtimeMs ?? Date.now();
    out.push({ agentId, modifiedAt });
  }
  return out;
}
