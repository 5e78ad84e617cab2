// Our JSON-RPC error codes (server-defined range -32000..-32099) plus the standard ones we
// use. Every error says what happened and what to do next.
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  /** Params failed zod validation; `data.issues` lists `{path, message}`. */
  InvalidParams: -32602,
  InternalError: -32603,
  UnknownAgent: -32001,
  Capacity: -32002,
  EngineUnavailable: -32003,
  ProtocolVersion: -32004,
  /** The request is not legal in the agent's current state (e.g. send to a dismissed agent). */
  IllegalState: -32005,
  /** A call other than `worker/hello` arrived before the handshake. */
  HelloRequired: -32006,
  /** An agent workspace could not do that (`data.kind` names why: BadBundle, NoWorkspace...). */
  Workspace: -32007,
  /** A coordinator-side error: the worker is not connected. */
  NotConnected: -32010,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ZodIssueData {
  issues: { path: string; message: string }[];
}

/** The readable message of anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
