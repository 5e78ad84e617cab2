// The engines this worker offers. Each engine probes itself: hello reports what is really
// usable here and why the rest is not.
import type { Logger } from '../log';
import type { Engine } from './engine';
import { ScriptedEngine } from './scripted';

export interface EngineRegistryOptions {
  /** --claude-path / TAVERN_CLAUDE_PATH: the Claude Code executable for the claude engine. */
  claudePath: string | undefined;
  log: Logger;
}

export function createEngines(_options: EngineRegistryOptions): Engine[] {
  return [new ScriptedEngine()];
}
