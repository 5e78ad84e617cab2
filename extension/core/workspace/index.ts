// Agent workspaces, the coordinator's side (the user's repository): snapshot, sync to a
// worker, the agent's branch back, review flags, apply with backup and undo, check out
// and discard. No vscode here: extension/host/ wraps these in commands and views.
export { openUserRepo, headCommit, SHADOW_DIR, type UserRepo } from './userRepo';
export { snapshotForAgent, snapshotRef, workingTree } from './snapshot';
export {
  sendSnapshots,
  receiveAgentBranch,
  fetchAgentBundle,
  type Progress,
  type SendParams,
  type SendResult,
  type ReceiveParams,
} from './sync';
export {
  applyAgentChanges,
  previewApply,
  BACKUP_PREFIX,
  type ApplyParams,
  type ApplyResult,
  type BackupRecord,
} from './apply';
export { undoApply, readBackup, restoreInterruptedApply, type UndoResult } from './undo';
export { findInterruptedApply, clearMarker, type ApplyMarker } from './applyMarker';
export { checkoutAgentBranch, discardAgentBranch, type DiscardResult } from './branchOps';
export { riskOfPath, riskyChanges, type RiskFlag } from './risk';
