// Frames from every worker share each turn of the event loop: once a turn has spent its
// budget on them, a socket that brings another frame is paused until the next turn.
// Without it one turn could read what 32 busy workers had queued (libuv reads each ready
// socket up to 32 times a turn): seconds of events in one go, with nothing else running
// in the extension host meanwhile and .tavern/ unable to write any of it (measured: a
// million events waiting in memory behind one such turn).
// While what was read is not kept up with (a brake is on: the store's unwritten lines), a
// socket is paused after each frame and stays paused until the brake is off, or for
// MAX_HOLD_MS at most before one turn reads again. Events wait in the kernel, then on the
// worker, which catches a slow reader up from its journal: memory here stays bounded. The
// client's heartbeat does not count a paused socket's silence against its worker, and the
// worker allows 30 s without a read, far beyond a hold.
import type WebSocket from 'ws';

/** How long frames may hold one turn of the event loop. */
export const TURN_BUDGET_MS = 20;
/** The longest a brake keeps sockets unread before one turn reads again. */
export const MAX_HOLD_MS = 1000;
/** How often a held socket checks whether the brake is off. */
const HOLD_POLL_MS = 5;

let turnStartedAt: number | undefined;
let heldSince: number | undefined;
let holdTimer: NodeJS.Timeout | undefined;
const paused = new Set<WebSocket>();
const brakes = new Set<() => boolean>();

const braked = (): boolean => {
  for (const brake of brakes) if (brake()) return true;
  return false;
};

const nextTurn = (): void => {
  turnStartedAt = undefined;
  if (paused.size === 0) return;
  const now = performance.now();
  if (braked() && heldSince !== undefined && now - heldSince < MAX_HOLD_MS) {
    holdTimer ??= setTimeout(() => {
      holdTimer = undefined;
      nextTurn();
    }, HOLD_POLL_MS);
    return;
  }
  heldSince = undefined;
  for (const socket of paused) socket.resume();
  paused.clear();
};

/** Called after each frame a socket delivered: pauses it when this turn is spent. */
export function spendTurn(socket: WebSocket): void {
  const now = performance.now();
  if (turnStartedAt === undefined) {
    turnStartedAt = now;
    setImmediate(nextTurn);
  }
  if (paused.has(socket)) return;
  const brake = braked();
  if (!brake && now - turnStartedAt < TURN_BUDGET_MS) return;
  if (brake) heldSince ??= now;
  socket.pause();
  paused.add(socket);
}

/** Reads no more than a frame per socket while `behind()` says reading is ahead of use. */
export function addIntakeBrake(behind: () => boolean): { dispose(): void } {
  brakes.add(behind);
  return { dispose: () => brakes.delete(behind) };
}
