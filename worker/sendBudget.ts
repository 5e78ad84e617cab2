// The worker-wide bound on bytes queued for coordinators. Each coordinator is already held
// near its own bound (worker/peerSender.ts); this one caps their sum when many connect. Past
// it, the coordinator furthest behind is dropped at once (terminate: its queue is freed
// without one callback per frame) and replays from the journal when it reconnects, so the
// others never wait on it.
import type WebSocket from 'ws';
import type { Logger } from '../runtime/log';

export class SendBudget {
  private readonly sockets = new Set<WebSocket>();

  constructor(
    readonly totalBytes: number,
    private readonly log: Logger,
  ) {}

  add(socket: WebSocket): void {
    this.sockets.add(socket);
  }

  delete(socket: WebSocket): void {
    this.sockets.delete(socket);
  }

  /** Bytes queued on every coordinator socket together. */
  queued(): number {
    let total = 0;
    for (const socket of this.sockets) total += socket.bufferedAmount;
    return total;
  }

  enforce(): void {
    for (;;) {
      let total = 0;
      let worst: WebSocket | undefined;
      for (const socket of this.sockets) {
        total += socket.bufferedAmount;
        if (!worst || socket.bufferedAmount > worst.bufferedAmount) worst = socket;
      }
      if (!worst || total <= this.totalBytes) return;
      this.log.warn(
        `coordinators hold ${mb(total)} MB of unsent data, over this worker's budget of ${mb(this.totalBytes)} MB (--send-budget-mb); dropping the one furthest behind (${mb(worst.bufferedAmount)} MB): it replays from the journal when it reconnects`,
      );
      this.sockets.delete(worst);
      worst.terminate();
    }
  }
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
