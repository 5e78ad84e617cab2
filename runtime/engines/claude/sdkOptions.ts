// The Claude Agent SDK options for one agent (or for a spare process waiting to become one).
import type { CanUseTool, Options } from '@anthropic-ai/claude-agent-sdk';
import type { EngineContext } from '../engine';
import { createTavernServer, REPORT_INSTRUCTIONS, TAVERN_SERVER } from './tavernTools';

export interface SdkOptionSettings {
  executable: string;
  /** Added to Claude Code's environment (e.g. an API key the user gave Tavern). */
  env?: Record<string, string>;
  /** Keep sessions on disk so agents can resume (default true). */
  persistSession?: boolean;
  /** Load the user's/project's Claude settings (default true). */
  loadSettings?: boolean;
}

export function buildSdkOptions(
  ctx: EngineContext,
  canUseTool: CanUseTool,
  settings: SdkOptionSettings,
  resume: string | undefined,
): Options {
  const mode = ctx.permissionMode;
  const appended = [ctx.role === 'agent' ? REPORT_INSTRUCTIONS : undefined, ctx.systemPrompt]
    .filter(Boolean)
    .join('\n\n');
  return {
    cwd: ctx.cwd,
    includePartialMessages: true,
    pathToClaudeCodeExecutable: settings.executable,
    // The SDK's env option REPLACES the child's environment: keep ours.
    env: { ...process.env, ...settings.env, ...ctx.env },
    permissionMode: mode,
    ...(mode === 'bypassPermissions' ? { allowDangerouslySkipPermissions: true } : {}),
    // Tavern's own tools are allowed inside canUseTool (not via allowedTools, which would
    // make the SDK warn that the callback is shadowed).
    canUseTool,
    mcpServers: { [TAVERN_SERVER]: createTavernServer(ctx) },
    systemPrompt: { type: 'preset', preset: 'claude_code', append: appended },
    ...(ctx.model ? { model: ctx.model } : {}),
    ...(resume ? { resume } : {}),
    persistSession: settings.persistSession ?? true,
    // The user's own settings always; the project's (hooks, allow rules, CLAUDE.md) only when
    // the user trusted them. Tests and benchmarks load none.
    settingSources:
      settings.loadSettings === false
        ? []
        : ctx.projectSettings
          ? ['user', 'project', 'local']
          : ['user'],
    stderr: (data: string) => ctx.log(`claude: ${data.trimEnd()}`),
  };
}
