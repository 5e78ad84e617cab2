// One token and cost model for every view. A turn's figures come from its `result` event; an
// agent's totals are the sum of its turns. Input tokens count everything the model read:
// fresh input plus cache reads and cache writes.
import type { AgentEventOf } from './agentEvents';

export interface UsageTotals {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

export const NO_USAGE: UsageTotals = { inputTokens: 0, outputTokens: 0, costUsd: 0 };

/** What one turn used. */
export function turnUsage(result: AgentEventOf<'result'>): UsageTotals {
  return {
    inputTokens: result.inputTokens + result.cacheReadTokens + result.cacheWriteTokens,
    outputTokens: result.outputTokens,
    costUsd: result.costUsd,
  };
}

/** Totals after one more turn. */
export function addTurn(totals: UsageTotals, result: AgentEventOf<'result'>): UsageTotals {
  const turn = turnUsage(result);
  return {
    inputTokens: totals.inputTokens + turn.inputTokens,
    outputTokens: totals.outputTokens + turn.outputTokens,
    costUsd: totals.costUsd + turn.costUsd,
  };
}
