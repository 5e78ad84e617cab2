// The seam between the wire (worker/connection.ts: JSON-RPC, validation, errors) and the
// agent runtime (runtime/). Params arrive already validated by zod.
import type { EncodedEnvelope } from '../runtime/eventEncoding';
import type { PermissionPeer } from '../runtime/permissionBroker';
import type { LinesAfter } from './peerSender';
import type {
  AgentDismiss,
  AgentInterrupt,
  AgentList,
  AgentReplay,
  AgentSend,
  AgentSpawn,
  ParamsOf,
  ResultOf,
  WorkerHello,
} from '../protocol/wire';
import type {
  AgentChanges,
  AgentPull,
  WorkspacePush,
  WorkspaceRefs,
} from '../protocol/workspaceWire';

/** A coordinator connection as the runtime sees it (after a successful hello). */
export interface CoordinatorPeer extends PermissionPeer {
  /**
   * One commit's durable envelopes (with their encoded lines), in order; `bytes`: the same
   * lines as UTF-8, one Buffer per agent (see JournalStoreOptions.publish).
   */
  sendEvents(batch: readonly EncodedEnvelope[], bytes?: readonly Buffer[]): void;
}

export interface WorkerApi {
  hello(params: ParamsOf<typeof WorkerHello>): Promise<ResultOf<typeof WorkerHello>>;
  spawn(params: ParamsOf<typeof AgentSpawn>): Promise<ResultOf<typeof AgentSpawn>>;
  send(params: ParamsOf<typeof AgentSend>): Promise<ResultOf<typeof AgentSend>>;
  interrupt(params: ParamsOf<typeof AgentInterrupt>): Promise<ResultOf<typeof AgentInterrupt>>;
  dismiss(params: ParamsOf<typeof AgentDismiss>): Promise<ResultOf<typeof AgentDismiss>>;
  list(params: ParamsOf<typeof AgentList>): Promise<ResultOf<typeof AgentList>>;
  replay(params: ParamsOf<typeof AgentReplay>): Promise<ResultOf<typeof AgentReplay>>;
  workspaceRefs(params: ParamsOf<typeof WorkspaceRefs>): Promise<ResultOf<typeof WorkspaceRefs>>;
  workspacePush(params: ParamsOf<typeof WorkspacePush>): Promise<ResultOf<typeof WorkspacePush>>;
  changes(params: ParamsOf<typeof AgentChanges>): Promise<ResultOf<typeof AgentChanges>>;
  pull(params: ParamsOf<typeof AgentPull>): Promise<ResultOf<typeof AgentPull>>;
  /** Encoded durable events of an agent (live or dismissed), to catch a slow peer up. */
  linesAfter: LinesAfter;
  /** A coordinator finished its hello: it gets live events and pending permission requests. */
  attach(peer: CoordinatorPeer): void;
  detach(peer: CoordinatorPeer): void;
  /** SIGTERM: interrupt agents, flush and sync journals, write records. */
  shutdown(): Promise<void>;
}

/**
 * Thrown by the runtime for expected failures; the connection maps it to a JSON-RPC
 * error with this code (see protocol/errors.ts).
 */
export class WorkerError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'WorkerError';
  }
}
