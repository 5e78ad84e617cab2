// Every command id Tavern registers, one constant each (package.json lists the same ids; a
// test checks that the two agree).
export const COMMANDS = {
  openPanel: 'tavern.openPanel',
  attachWorker: 'tavern.attachWorker',
  detachWorker: 'tavern.detachWorker',
  restartLocalWorker: 'tavern.restartLocalWorker',
  showLog: 'tavern.showLog',
  summonAgent: 'tavern.summonAgent',
  dismissAgent: 'tavern.dismissAgent',
  manageRules: 'tavern.manageRules',
  installClaudeCode: 'tavern.installClaudeCode',
  reviewChanges: 'tavern.reviewChanges',
  applyChanges: 'tavern.applyChanges',
  undoApply: 'tavern.undoApply',
  /** Shows one agent in the panel (from a notification): args folder path, agent id. */
  openAgent: 'tavern.openAgent',
} as const;

/** The view that shows the panel (its container is `tavern`). */
export const PANEL_VIEW_ID = 'tavern.panel';
