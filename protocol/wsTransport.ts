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
import type { Duplex } from 'node:stream';
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
  /**
   * Called for every malformed frame instead of passing it to the connection, with how many
   * invalid frames arrived in a row. The count follows arrival order: a valid frame resets
   * it here, in the reader, not later in an asynchronous handler.
   */
  onInvalidFrame?: (frame: InvalidFrame, inARow: number) => void;
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
  private invalidInARow = 0;

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
      this.invalidInARow = 0;
      callback(parsed);
    };
    this.socket.on('message', onMessage);
    return { dispose: () => this.socket.off('message', onMessage) };
  }

  private reject(frame: InvalidFrame): void {
    this.options.onInvalidFrame?.(frame, ++this.invalidInARow);
  }
}

function rawToString(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

export interface WebSocketWriterOptions {
  /**
   * A peer with more than this many bytes queued and unsent has stopped reading: the write
   * is refused and `onOverLimit` called (its owner drops the connection).
   */
  hardLimitBytes?: number;
  onOverLimit?: (bufferedBytes: number) => void;
}

export class WebSocketMessageWriter extends AbstractMessageWriter {
  private errorCount = 0;
  private corked = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly options: WebSocketWriterOptions = {},
  ) {
    super();
    socket.on('close', () => this.fireClose());
  }

  /** Bytes queued on this socket and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  get isOpen(): boolean {
    return this.socket.readyState === 1; /* OPEN */
  }

  // ws queues frames in order itself, so no extra write queue is needed, and frames written
  // with writeRaw keep their place among the connection's own messages. A write to a socket
  // that is not open (or past the hard limit) fires onError and rejects; a failure later in
  // the socket closes it, which rejects every pending request.
  async write(msg: Message): Promise<void> {
    const error = this.refusal();
    if (error) {
      this.fireError([error, msg, ++this.errorCount]);
      throw error;
    }
    this.holdUntilTickEnds();
    this.socket.send(JSON.stringify(msg));
  }

  /**
   * Writes an already-encoded JSON-RPC message (one text frame; a Buffer holds its UTF-8), in
   * order with `write`. Returns false when the socket is closed or past its hard limit.
   * `onFlushed` runs once the frame has been handed to the kernel.
   */
  writeRaw(frame: string | Buffer, onFlushed?: () => void): boolean {
    if (this.refusal()) return false;
    this.holdUntilTickEnds();
    this.socket.send(frame, { binary: false }, onFlushed && ((error) => !error && onFlushed()));
    return true;
  }

  end(): void {}

  /**
   * Frames written in one tick reach the kernel in one write: a burst (a thousand summons at
   * once) made a syscall per frame, each waking the worker, and on a busy machine each of
   * those writes cost milliseconds (10,000 summons held the extension host for 30 s). `ws`
   * has no public cork; its socket is the `_socket` it has always kept.
   */
  private holdUntilTickEnds(): void {
    if (this.corked) return;
    const raw = (this.socket as unknown as { _socket?: Duplex })._socket;
    if (typeof raw?.cork !== 'function') return;
    raw.cork();
    this.corked = true;
    process.nextTick(() => {
      this.corked = false;
      raw.uncork();
    });
  }

  private refusal(): Error | undefined {
    if (this.socket.readyState !== 1 /* OPEN */)
      return new Error('WebSocket is not open: the message was not sent.');
    const limit = this.options.hardLimitBytes;
    const queued = this.socket.bufferedAmount;
    if (limit !== undefined && queued > limit) {
      this.options.onOverLimit?.(queued);
      return new Error(`The peer is ${queued} bytes behind: the message was not sent.`);
    }
    return undefined;
  }
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
