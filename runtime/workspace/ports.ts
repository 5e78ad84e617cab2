// TAVERN_AGENT_PORT: each agent gets its own block of ports for dev servers, so two
// agents' `npm run dev` never clash. Pure arithmetic over a slot index per agent.
import { WorkspaceError } from './errors';

export interface PortPlan {
  /** First port of slot 0. */
  base: number;
  /** Ports per agent. */
  block: number;
}

export const DEFAULT_PORT_PLAN: PortPlan = { base: 41000, block: 20 };

export interface PortRange {
  slot: number;
  start: number;
  /** Last port of the block (inclusive). */
  end: number;
}

/** How many agents fit below port 65535 with this plan. */
export function portSlots(plan: PortPlan = DEFAULT_PORT_PLAN): number {
  return Math.max(0, Math.floor((65536 - plan.base) / plan.block));
}

/** The block of slot `slot`; slots never overlap. */
export function portRange(slot: number, plan: PortPlan = DEFAULT_PORT_PLAN): PortRange {
  if (
    !Number.isInteger(plan.base) ||
    plan.base < 1024 ||
    !Number.isInteger(plan.block) ||
    plan.block < 1
  ) {
    throw new WorkspaceError(
      'BadName',
      `Port plan ${JSON.stringify(plan)} is invalid: base must be an integer >= 1024, block >= 1.`,
    );
  }
  if (!Number.isInteger(slot) || slot < 0 || slot >= portSlots(plan)) {
    throw new WorkspaceError(
      'BadName',
      `Port slot ${slot} does not fit: this plan has slots 0..${portSlots(plan) - 1}. Lower the base or the block size.`,
    );
  }
  const start = plan.base + slot * plan.block;
  return { slot, start, end: start + plan.block - 1 };
}

/** The lowest slot not in `taken` (slots of the live agents). */
export function freePortSlot(taken: Iterable<number>, plan: PortPlan = DEFAULT_PORT_PLAN): number {
  const used = new Set(taken);
  for (let slot = 0; slot < portSlots(plan); slot++) if (!used.has(slot)) return slot;
  throw new WorkspaceError(
    'Refused',
    `All ${portSlots(plan)} port blocks are in use: dismiss an agent or use a smaller block.`,
  );
}

/** Environment for the agent's processes. */
export function portEnv(range: PortRange): Record<string, string> {
  return {
    TAVERN_AGENT_PORT: String(range.start),
    TAVERN_AGENT_PORT_END: String(range.end),
  };
}
