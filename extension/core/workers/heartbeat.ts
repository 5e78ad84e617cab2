// Notices a silent worker: pings its socket every `everyMs` and gives it up (terminates the
// socket) after `deadAfterMs` without a sign of life. Any frame is one, since a worker busy
// streaming may answer pings late; and silence this process caused never counts against the
// worker: a beat that comes late (this event loop was busy) or a socket this process paused
// (turnBudget.ts) moves the deadline on.
import type WebSocket from 'ws';

export interface HeartbeatOptions {
  everyMs: number;
  deadAfterMs: number;
  /** A pong came back after this many ms. */
  onRtt(ms: number): void;
  /** Called just before the socket is terminated for its silence. */
  onSilent(): void;
}

/** Starts beating; the returned function stops it (and stops listening to the socket). */
export function startHeartbeat(socket: WebSocket, options: HeartbeatOptions): () => void {
  const { everyMs, deadAfterMs } = options;
  let lastLifeAt = Date.now();
  let lastBeat = lastLifeAt;
  let pingSentAt = 0;
  const onPong = (): void => {
    lastLifeAt = Date.now();
    options.onRtt(lastLifeAt - pingSentAt);
  };
  const onFrame = (): void => {
    lastLifeAt = Date.now();
  };
  socket.on('pong', onPong);
  socket.on('message', onFrame);
  const timer = setInterval(() => {
    const now = Date.now();
    // A late beat means this process was busy, not that the worker was silent: its pong may
    // be waiting unread in the socket (timers run before I/O is read).
    const stalled = now - lastBeat - everyMs;
    if (stalled > everyMs) lastLifeAt += stalled;
    lastBeat = now;
    if (socket.isPaused) lastLifeAt = now;
    if (now - lastLifeAt > deadAfterMs) {
      stop();
      options.onSilent();
      socket.terminate();
      return;
    }
    pingSentAt = Date.now();
    try {
      socket.ping();
    } catch {
      // The close handler deals with a dead socket.
    }
  }, everyMs);
  timer.unref?.();
  function stop(): void {
    clearInterval(timer);
    socket.off('pong', onPong);
    socket.off('message', onFrame);
  }
  return stop;
}
