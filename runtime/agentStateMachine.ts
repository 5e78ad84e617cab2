// The agent lifecycle as one table of legal transitions. Anything else is a bug in the
// runtime or an engine, so it throws: callers never "fix up" an impossible state.
import type { AgentState } from '../protocol/agentEvents';

const LEGAL: Record<AgentState, readonly AgentState[]> = {
  summoned: ['working', 'waiting', 'dismissed'],
  working: ['waiting', 'done', 'failed', 'interrupted', 'dismissed'],
  // waiting -> waiting: a pending permission settles into "waiting for input" and back.
  waiting: ['working', 'waiting', 'failed', 'interrupted', 'dismissed'],
  done: ['working', 'dismissed'],
  failed: ['working', 'dismissed'],
  interrupted: ['working', 'dismissed'],
  dismissed: [],
};

export function canTransition(from: AgentState, to: AgentState): boolean {
  return LEGAL[from].includes(to);
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: AgentState,
    readonly to: AgentState,
  ) {
    super(`Illegal agent state transition ${from} -> ${to}.`);
    this.name = 'IllegalTransitionError';
  }
}

export function assertTransition(from: AgentState, to: AgentState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

/** States in which the agent holds a capacity slot on its worker. */
export function isActive(state: AgentState): boolean {
  return state !== 'dismissed';
}
