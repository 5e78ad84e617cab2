// What one coordinator is sent of the agents' events: every durable envelope once, in seq
// order per agent, encoded once (the journal's line, wrapped by string concatenation into
// an `agent/event` frame, or many into one `agent/events` frame for a coordinator that
// announced `eventBatches`). Memory stays bounded without dropping a slow reader: past
// `highWaterBytes` queued on its socket, a coordinator stops getting live events and is
// caught up from the journal (ring or file) as it drains.
import type { EncodedEnvelope } from '../runtime/eventEncoding';
import type { Logger } from '../runtime/log';
import { AgentEventNotification, AgentEventsNotification } from '../protocol/wire';

/** The socket side: protocol/wsTransport's WebSocketMessageWriter. */
export interface FrameSink {
  readonly bufferedAmount: number;
  readonly isOpen: boolean;
  writeRaw(frame: string | Buffer, onFlushed?: () => void): boolean;
}

/** Durable encoded lines of an agent after `afterSeq`; undefined when it is unknown. */
export type LinesAfter = (
  agentId: string,
  afterSeq: number,
  maxBytes: number,
) => Promise<{ lines: string[]; lastSeq: number; more: boolean } | undefined>;

export interface PeerSenderOptions {
  /** The coordinator accepts `agent/events`. */
  batches: boolean;
  /** Queued bytes past which live events wait in the journal instead of the socket. */
  highWaterBytes: number;
  log: Logger;
  /** For log lines: the connection id. */
  name: string;
}

const EVENT_PREFIX = `{"jsonrpc":"2.0","method":"${AgentEventNotification.method}","params":`;
const EVENTS_PREFIX = `{"jsonrpc":"2.0","method":"${AgentEventsNotification.method}","params":{"events":[`;
const EVENTS_HEAD = Buffer.from(EVENTS_PREFIX, 'utf8');
const EVENTS_TAIL = Buffer.from(']}}', 'utf8');
const NEWLINE = 0x0a;
const COMMA = 0x2c;
/** An `agent/events` frame is cut after about this many bytes of envelopes. */
const FRAME_BYTES = 256 * 1024;
/** How much of one agent's journal a catch-up step reads. */
const CATCH_UP_BYTES = 1024 * 1024;

export class PeerSender {
  /** Agents whose newer events this peer has not been sent: the last seq it got. */
  private readonly behind = new Map<string, number>();
  private catchingUp = false;
  private disposed = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly linesAfter: LinesAfter,
    private readonly options: PeerSenderOptions,
  ) {}

  /** One commit's envelopes (and, when given, their lines as UTF-8, one Buffer per agent). */
  offer(batch: readonly EncodedEnvelope[], bytes?: readonly Buffer[]): void {
    if (this.disposed || !this.sink.isOpen) return;
    const live =
      this.behind.size === 0 ? batch : batch.filter((e) => !this.behind.has(e.envelope.agentId));
    if (live.length > 0) {
      if (this.sink.bufferedAmount < this.options.highWaterBytes) {
        // The journal's bytes framed as they are, when the whole batch goes out as batches.
        if (bytes && live === batch && batch.length > 1 && this.options.batches)
          this.sendBytes(bytes.length === 1 ? bytes[0]! : Buffer.concat(bytes));
        else this.send(live.map((e) => e.line));
      } else {
        if (this.behind.size === 0)
          this.options.log.debug(
            `connection ${this.options.name}: ${this.sink.bufferedAmount} bytes queued; further events follow from the journal as it reads`,
          );
        for (const { envelope } of live)
          if (!this.behind.has(envelope.agentId))
            this.behind.set(envelope.agentId, envelope.seq - 1);
      }
    }
    this.poke();
  }

  /** Resumes a catch-up if the socket has room (also called by the server's heartbeat). */
  poke(): void {
    if (this.behind.size > 0 && this.sink.bufferedAmount < this.options.highWaterBytes / 2)
      void this.catchUp();
  }

  /** Agents this peer is behind on (for tests and logs). */
  get lagging(): number {
    return this.behind.size;
  }

  dispose(): void {
    this.disposed = true;
    this.behind.clear();
  }

  private async catchUp(): Promise<void> {
    if (this.catchingUp) return;
    this.catchingUp = true;
    try {
      while (
        !this.disposed &&
        this.sink.isOpen &&
        this.behind.size > 0 &&
        this.sink.bufferedAmount < this.options.highWaterBytes / 2
      ) {
        const [agentId, sent] = this.behind.entries().next().value as [string, number];
        const page = await this.linesAfter(agentId, sent, CATCH_UP_BYTES);
        this.behind.delete(agentId);
        if (!page) continue;
        if (page.lines.length > 0) this.send(page.lines);
        // Still behind: back in the line, after the other agents (fair between them). Else
        // everything durable was sent, and the next commit's events go out live.
        if (page.more && page.lines.length > 0) this.behind.set(agentId, page.lastSeq);
      }
    } catch (error) {
      this.options.log.warn(
        `connection ${this.options.name}: catching up from the journal failed: ${String(error)}`,
      );
    } finally {
      this.catchingUp = false;
    }
  }

  private send(lines: readonly string[]): void {
    if (!this.options.batches || lines.length === 1) {
      for (let i = 0; i < lines.length; i++)
        this.write(EVENT_PREFIX + lines[i]! + '}', i === lines.length - 1);
      return;
    }
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < lines.length; i++) {
      bytes += lines[i]!.length;
      const last = i === lines.length - 1;
      if (bytes < FRAME_BYTES && !last) continue;
      this.write(
        i === start
          ? EVENT_PREFIX + lines[i]! + '}'
          : EVENTS_PREFIX + lines.slice(start, i + 1).join(',') + ']}}',
        last,
      );
      start = i + 1;
      bytes = 0;
    }
  }

  /**
   * Frames newline-terminated JSON lines (UTF-8) as `agent/events`, cut at line ends about
   * every FRAME_BYTES. A raw newline byte only ever ends a line (JSON escapes it inside
   * strings, and UTF-8 never uses 0x0a in a multi-byte character), so it becomes the comma.
   */
  private sendBytes(data: Buffer): void {
    for (let start = 0; start < data.length;) {
      let end = data.length;
      if (end - start > FRAME_BYTES) {
        const cut = data.lastIndexOf(NEWLINE, start + FRAME_BYTES);
        end = cut >= start ? cut + 1 : data.indexOf(NEWLINE, start + FRAME_BYTES) + 1;
      }
      const last = end === data.length;
      const body = data.subarray(start, end - 1);
      start = end;
      if (body.indexOf(NEWLINE) < 0) {
        this.write(EVENT_PREFIX + body.toString('utf8') + '}', last);
        continue;
      }
      const frame = Buffer.allocUnsafe(EVENTS_HEAD.length + body.length + EVENTS_TAIL.length);
      EVENTS_HEAD.copy(frame, 0);
      body.copy(frame, EVENTS_HEAD.length);
      EVENTS_TAIL.copy(frame, EVENTS_HEAD.length + body.length);
      for (
        let at = frame.indexOf(NEWLINE, EVENTS_HEAD.length);
        at >= 0;
        at = frame.indexOf(NEWLINE, at + 1)
      )
        frame[at] = COMMA;
      this.write(frame, last);
    }
  }

  private write(frame: string | Buffer, last: boolean): void {
    // While the socket fills up, the last frame of a send carries a flush callback: it says
    // when the peer has read that far, so a catch-up resumes without polling.
    const watch =
      last && this.sink.bufferedAmount + frame.length >= this.options.highWaterBytes / 2;
    this.sink.writeRaw(frame, watch ? this.onFlushed : undefined);
  }

  private readonly onFlushed = (): void => this.poke();
}
