// An agent as the UI and Jake see it: its record, with `lost` while its worker is away and the
// worker's current name.
import type { AgentState, EngineName } from '../../../protocol/agentEvents';
import type { UsageTotals } from '../../../protocol/usage';
import type { AgentRecord } from '../store/agentRecord';
import type { WorkerClient } from '../workers/workerClient';

export type DisplayState = AgentState | 'lost';

export interface AgentSummary {
  readonly id: string;
  readonly name: string;
  readonly workerId: string;
  /** The worker's name (kept from when it was summoned while that worker is gone). */
  readonly workerName: string;
  readonly engine: EngineName;
  /** `lost` while its worker is unreachable: never a ghost "working". */
  readonly state: DisplayState;
  readonly stateReason?: string;
  readonly assignment?: string;
  readonly lastSeq: number;
  readonly usage: UsageTotals;
  /** Its own worktree's branch (agent workspaces). */
  readonly branch?: string;
}

export function summarize(record: AgentRecord, client: WorkerClient | undefined): AgentSummary {
  const reachable = client?.status === 'connected';
  const live = record.state !== 'dismissed' && record.state !== 'done' && record.state !== 'failed';
  return {
    id: record.id,
    name: record.name,
    workerId: record.workerId,
    workerName: client?.hello?.name ?? record.workerName ?? record.workerUrl,
    engine: record.engine,
    state: !reachable && live ? 'lost' : record.state,
    ...(record.stateReason ? { stateReason: record.stateReason } : {}),
    ...(record.assignment ? { assignment: record.assignment } : {}),
    lastSeq: record.lastSeq,
    usage: record.usage,
    ...(record.workspace ? { branch: record.workspace.branch } : {}),
  };
}
