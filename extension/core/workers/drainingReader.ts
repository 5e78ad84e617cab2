// The reader a WorkerClient uses: the WebSocket reader plus, once the socket has closed, one
// local marker message queued behind everything received. vscode-jsonrpc handles received
// messages from a queue, one per tick, and drops what is still queued when its connection is
// disposed; under load that queue can hold thousands of events when a worker closes (a pod
// drained on SIGTERM sends its last events, then closes). Disposing the connection when the
// marker comes through delivers every one of them first.
import type { DataCallback, Disposable, NotificationMessage } from 'vscode-jsonrpc/node';
import type WebSocket from 'ws';
import { WebSocketMessageReader } from '../../../protocol/wsTransport';

/** Never sent over the wire: the reader makes it up after the socket closed. */
export const DRAINED_METHOD = '$/tavern/drained';

export class DrainingMessageReader extends WebSocketMessageReader {
  constructor(private readonly ws: WebSocket) {
    super(ws);
  }

  override listen(callback: DataCallback): Disposable {
    const listening = super.listen(callback);
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
