// The engines this worker offers. Each engine probes itself: hello reports what is really
// usable here and why the rest is not.
import type { Logger } from '../log';
import { AnthropicEngine } from './anthropic/anthropicEngine';
import { ClaudeEngine } from './claude/claudeEngine';
import type { Engine } from './engine';
import { ScriptedEngine } from './scripted';

export interface EngineRegistryOptions {
  /** --claude-path / TAVERN_CLAUDE_PATH: the Claude Code executable for the claude engine. */
  claudePath: string | undefined;
  /** The worker's workdir: where the claude engine keeps its first spare process. */
  workdir: string;
  log: Logger;
}

export function createEngines(options: EngineRegistryOptions): Engine[] {
  return [
    new ScriptedEngine(),
    new ClaudeEngine({
      claudePath: options.claudePath,
      log: options.log,
      // Tests and benchmarks run the CLI away from the user's ~/.claude and keep no sessions.
      persistSession: process.env.TAVERN_CLAUDE_PERSIST_SESSION !== '0',
      loadSettings: process.env.TAVERN_CLAUDE_LOAD_SETTINGS !== '0',
      prewarm: process.env.TAVERN_CLAUDE_PREWARM !== '0',
      workdir: options.workdir,
    }),
    new AnthropicEngine(),
  ];
}
