// The errors a worker answers with, each saying what to do about it. Kept together so the
// same refusal reads the same wherever it is raised.
import { ErrorCode } from '../protocol/errors';
import { PROTOCOL_VERSION } from '../protocol/wire';
import { WorkerError } from './workerApi';

export const unknownAgent = (worker: string, agentId: string): WorkerError =>
  new WorkerError(
    ErrorCode.UnknownAgent,
    `Unknown agent "${agentId}" on worker ${worker}. List agents with agent/list; it may have been summoned on another worker.`,
  );

export const noWorkspaces = (worker: string): WorkerError =>
  new WorkerError(
    ErrorCode.Workspace,
    `Worker ${worker} keeps no state dir, so it has no agent workspaces (worktrees). Start it with --state-dir.`,
    { kind: 'NoWorkspace' },
  );

export const full = (worker: string, running: number, maxAgents: number): WorkerError =>
  new WorkerError(
    ErrorCode.Capacity,
    `Worker ${worker} is full: ${running} of ${maxAgents} agents running. Dismiss one, attach another worker, or start this one with --max-agents N.`,
    { running, maxAgents },
  );

export const otherProtocol = (clientVersion: number): WorkerError =>
  new WorkerError(
    ErrorCode.ProtocolVersion,
    `This worker speaks protocol ${PROTOCOL_VERSION}; the client speaks ${clientVersion}. Update the older side so both match.`,
    { workerProtocolVersion: PROTOCOL_VERSION },
  );

export const engineUnusable = (worker: string, engine: string, reason?: string): WorkerError =>
  new WorkerError(
    ErrorCode.EngineUnavailable,
    `The ${engine} engine is not usable on worker ${worker}: ${reason ?? 'not installed'}.`,
    { engine },
  );

export const agentExists = (message: string): WorkerError =>
  new WorkerError(ErrorCode.InvalidParams, message, {
    issues: [{ path: 'agentId', message: 'already exists' }],
  });

export const recordUnwritable = (worker: string, why: string): WorkerError =>
  new WorkerError(
    ErrorCode.InternalError,
    `Worker ${worker} could not write the agent's record: ${why}. Check the space and permissions of its --state-dir.`,
  );

export const dismissedAgent = (name: string | undefined): WorkerError =>
  new WorkerError(
    ErrorCode.IllegalState,
    `Agent ${name} was dismissed; summon a new agent to continue.`,
  );
