// The reader a WorkerClient uses: the WebSocket reader plus, once the socket has closed, one
// local marker message queued behind everything received. vscode-jsonrpc handles received
// messages from a queue, one per tick, and drops what is still queued when its connection is
// disposed; under load that queue can hold thousands of events when a worker closes (a pod
// drained on SIGTERM sends its last events, then closes). Disposing the connection when the
// marker comes through delivers every one of them first.
// Event notifications skip that queue once the handshake is done (`direct`): handled as their
// frame is read, a burst cannot pile up in this process (32 busy workers left 8,000 batches,
// a million events, 500 MB waiting in it) and waits in the socket, then on the worker, which
// catches a slow reader up from its journal. No turn of the event loop reads more than its
// share of frames (turnBudget.ts).
import type { DataCallback, Disposable, Message, NotificationMessage } from 'vscode-jsonrpc/node';
import type WebSocket from 'ws';
import { WebSocketMessageReader } from '../../../protocol/wsTransport';
import { spendTurn } from './turnBudget';

/** Never sent over the wire: the reader makes it up after the socket closed. */
export const DRAINED_METHOD = '$/tavern/drained';

export class DrainingMessageReader extends WebSocketMessageReader {
  constructor(private readonly ws: WebSocket) {
    super(ws);
  }

  /** Takes a message before the connection's queue; true when it was handled there. */
  direct: ((message: Message) => boolean) | undefined;

  override listen(callback: DataCallback): Disposable {
    const listening = super.listen((message) => {
      if (!this.direct?.(message)) callback(message);
      spendTurn(this.ws);
    });
    const marker: NotificationMessage = { jsonrpc: '2.0', method: DRAINED_METHOD };
    const onClose = (): void => callback(marker);
    this.ws.once('close', onClose);
    return {
      dispose: () => {
        listening.dispose();
        this.ws.off('close', onClose);
      },
    };
  }
}
