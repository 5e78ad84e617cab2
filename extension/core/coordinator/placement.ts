// Where a new agent runs: the worker asked for, else the least-loaded connected worker that
// has the engine and room (agents whose spawn is in flight count, so a burst of summons
// spreads over a fleet); when none fits, fail with what was needed (or use the local
// worker, by setting). A draining worker takes no new agents.
import type { EngineName } from '../../../protocol/agentEvents';
import type { WorkerSummary } from '../workers/workerPool';

export type NoWorkerFits = 'fail' | 'local';

export class PlacementError extends Error {}

/** A worker that gets the user's API key with each spawn: its engine's own readiness aside. */
export type SharesKey = (worker: WorkerSummary) => boolean;

function why(w: WorkerSummary, engine: EngineName, sharesKey?: SharesKey): string | undefined {
  if (w.status !== 'connected') return `${w.name}: ${w.status}`;
  if (w.draining) return `${w.name}: going away (its pod is terminating)`;
  const e = w.engines.find((x) => x.name === engine);
  if (!e?.available) return `${w.name}: no ${engine} engine${e?.reason ? ` (${e.reason})` : ''}`;
  const keyed = engine !== 'scripted' && sharesKey?.(w) === true;
  if (!e.ready && !keyed)
    return `${w.name}: ${engine} is not ready${e.reason ? ` (${e.reason})` : ''}`;
  if (w.maxAgents !== undefined && w.agents >= w.maxAgents)
    return `${w.name}: full (${w.agents}/${w.maxAgents})`;
  return undefined;
}

export function placeAgent(
  workers: WorkerSummary[],
  engine: EngineName,
  wanted: string | undefined,
  noWorkerFits: NoWorkerFits,
  sharesKey?: SharesKey,
): WorkerSummary {
  if (wanted) {
    const w = workers.find((x) => x.id === wanted || x.name.toLowerCase() === wanted.toLowerCase());
    if (!w)
      throw new PlacementError(
        `No worker named "${wanted}". Workers: ${workers.map((x) => x.name).join(', ') || 'none'}.`,
      );
    const problem = why(w, engine, sharesKey);
    if (problem) throw new PlacementError(`Cannot place the agent on ${problem}.`);
    return w;
  }
  const fits = workers.filter((w) => why(w, engine, sharesKey) === undefined);
  if (fits.length > 0) {
    return fits.reduce((best, w) => (load(w) < load(best) ? w : best));
  }
  const local = workers.find((w) => w.isLocal && w.status === 'connected');
  if (noWorkerFits === 'local' && local) return local;
  const reasons = workers.map((w) => why(w, engine, sharesKey)).filter(Boolean);
  throw new PlacementError(
    `No connected worker can run a ${engine} agent${reasons.length ? ` (${reasons.join('; ')})` : ': no workers are attached'}. Attach a worker with Tavern: Attach Worker, or pick another engine.`,
  );
}

const load = (w: WorkerSummary): number => w.agents / (w.maxAgents ?? 16);
