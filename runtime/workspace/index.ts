// Agent workspaces, the worker's side and what both sides share: the API the protocol
// handlers call. WorkerWorkspaces is the service; the functions below it are its parts,
// also used directly by a worker on the same disk as the user's repository.
export {
  WorkerWorkspaces,
  type SpawnWorkspace,
  type WorkerWorkspacesOptions,
} from './workerWorkspaces';
export { WorkspaceError, isWorkspaceError, type WorkspaceErrorKind } from './errors';
export { chunkBytesFor, readChunk, readChunks, ChunkFile, type OutChunk } from './chunks';
export type { PushChunk, PushResult } from './upload';
export type { PullOffer } from './pull';
export type { Changes, FileChange, FileStatus, BoundedPatch } from './changes';
export { changesBetween, boundedPatch } from './changes';
export { commitTurn, isDirty, turnMessage, type TurnCommit } from './turnCommit';
export {
  createWorktree,
  findWorktree,
  findAgentBranch,
  removeWorktree,
  type AgentBranch,
  type AgentWorktree,
} from './worktree';
export { copyWorktreeIncludes, listWorktreeIncludes, WORKTREE_INCLUDE } from './worktreeInclude';
export {
  portRange,
  freePortSlot,
  portEnv,
  portSlots,
  DEFAULT_PORT_PLAN,
  type PortPlan,
  type PortRange,
} from './ports';
export { agentBranchName, checkRelativePath, confinedPath, checkId } from './paths';
export type { SweepParams, SweepReport } from './sweep';
