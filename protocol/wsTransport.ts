// vscode-jsonrpc reader/writer over a `ws` WebSocket: one JSON-RPC message per text frame.
// Modelled on vscode-jsonrpc's message-port transports: small, ordered writes, and
// disposing the reader/writer never closes the socket it was given (its owner does).
import {
  AbstractMessageReader,
  AbstractMessageWriter,
  type DataCallback,
  type Disposable,
  type Message,
} from 'vscode-jsonrpc/node';
import type WebSocket from 'ws';
import { ErrorCode } from './errors';

/** A frame that is not a JSON-RPC message, with the error response it deserves. */
export interface InvalidFrame {
  code: typeof ErrorCode.ParseError | typeof ErrorCode.InvalidRequest;
  message: string;
  /** The request id when it could be read, so the error answers the right request. */
  id: string | number | null;
}

export interface WebSocketReaderOptions {
  /** Called for every malformed frame instead of passing it to the connection. */
  onInvalidFrame?: (frame: InvalidFrame) => void;
}

function isJsonRpcMessage(value: unknown): value is Message {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  if (v.jsonrpc !== '2.0') return false;
  if (typeof v.method === 'string') return true;
  return 'id' in v && ('result' in v || 'error' in v);
}

function idOf(value: unknown): string | number | null {
  if (typeof value !== 'object' || value === null) return null;
  const id = (value as Record<string, unknown>).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

export class WebSocketMessageReader extends AbstractMessageReader {
  constructor(
    private readonly socket: WebSocket,
    private readonly options: WebSocketReaderOptions = {},
  ) {
    super();
    socket.on('error', (error) => this.fireError(error));
    socket.on('close', () => this.fireClose());
  }

  listen(callback: DataCallback): Disposable {
    const onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
      if (isBinary) {
        this.reject({
          code: ErrorCode.InvalidRequest,
          message: 'Binary frames are not accepted: send JSON-RPC as text frames.',
          id: null,
        });
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(rawToString(data));
      } catch (error) {
        this.reject({
          code: ErrorCode.ParseError,
          message: `Parse error: the frame is not valid JSON (${(error as Error).message}).`,
          id: null,
        });
        return;
      }
      if (!isJsonRpcMessage(parsed)) {
        this.reject({
          code: ErrorCode.InvalidRequest,
          message: 'Invalid request: expected one JSON-RPC 2.0 message object per frame.',
          id: idOf(parsed),
        });
        return;
      }
      callback(parsed);
    };
    this.socket.on('message', onMessage);
    return { dispose: () => this.socket.off('message', onMessage) };
  }

  private reject(frame: InvalidFrame): void {
    this.options.onInvalidFrame?.(frame);
  }
}

function rawToString(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

export class WebSocketMessageWriter extends AbstractMessageWriter {
  private errorCount = 0;

  constructor(private readonly socket: WebSocket) {
    super();
    socket.on('close', () => this.fireClose());
  }

  // ws queues frames in order itself, so no extra write queue is needed; a write to a
  // socket that is not open is reported as an error, never thrown at the caller.
  async write(msg: Message): Promise<void> {
    if (this.socket.readyState !== 1 /* OPEN */) {
      const error = new Error('WebSocket is not open: the message was not sent.');
      this.fireError([error, msg, ++this.errorCount]);
      throw error;
    }
    await new Promise<void>((resolve, reject) => {
      this.socket.send(JSON.stringify(msg), (error) => {
        if (error) {
          this.fireError([error, msg, ++this.errorCount]);
          reject(error);
        } else {
          resolve();
        }
      });
    });
  }

  end(): void {}
}

/** Sends a JSON-RPC error response for a frame the reader rejected. */
export function sendInvalidFrameError(socket: WebSocket, frame: InvalidFrame): void {
  if (socket.readyState !== 1) return;
  socket.send(
    JSON.stringify({
      jsonrpc: '2.0',
      id: frame.id,
      error: { code: frame.code, message: frame.message },
    }),
  );
}
