// A pre-started Claude Code process (the SDK's startup() pre-warm) waiting for the next
// agent, so that agent's first event does not wait for a process start. Its options are
// fixed when it starts, so its callbacks go through a binding to whichever agent claims it.
import { startup, type CanUseTool, type WarmQuery } from '@anthropic-ai/claude-agent-sdk';
import type { PermissionMode } from '../../../protocol/agentEvents';
import type { EngineContext } from '../engine';
import { buildSdkOptions, type SdkOptionSettings } from './sdkOptions';

export interface SpareShape {
  cwd: string;
  permissionMode: PermissionMode;
  model: string | undefined;
}

export const spareKey = (shape: SpareShape): string =>
  `${shape.cwd}\u0000${shape.permissionMode}\u0000${shape.model ?? ''}`;

/** Only agents with nothing a spare could not have been started with may claim one. */
export function canClaim(ctx: EngineContext): boolean {
  return (
    ctx.tools.length === 0 &&
    !ctx.resumeSessionId &&
    !ctx.systemPrompt &&
    !ctx.projectSettings &&
    Object.keys(ctx.env).length === 0
  );
}

export class SpareProcess {
  readonly key: string;
  private readonly binding: { ctx?: EngineContext; canUseTool?: CanUseTool } = {};
  private readonly warm: Promise<WarmQuery>;

  constructor(shape: SpareShape, settings: SdkOptionSettings, log: (message: string) => void) {
    this.key = spareKey(shape);
    const b = this.binding;
    const unclaimed = {
      decision: 'deny' as const,
      message: 'No agent has claimed this session yet.',
    };
    const proxy: EngineContext = {
      agentId: 'spare',
      name: 'spare',
      cwd: shape.cwd,
      model: shape.model,
      permissionMode: shape.permissionMode,
      systemPrompt: undefined,
      resumeSessionId: undefined,
      role: 'agent',
      projectSettings: false,
      env: {},
      tools: [],
      emit: (event) => b.ctx?.emit(event),
      requestPermission: (ask, signal) =>
        b.ctx ? b.ctx.requestPermission(ask, signal) : Promise.resolve(unclaimed),
      report: (status, summary) => b.ctx?.report(status, summary),
      setSessionId: (id) => b.ctx?.setSessionId(id),
      log: (message) => (b.ctx ? b.ctx.log(message) : log(message)),
    };
    const canUseTool: CanUseTool = (name, input, options) =>
      b.canUseTool
        ? b.canUseTool(name, input, options)
        : Promise.resolve({ behavior: 'deny', message: unclaimed.message });
    this.warm = startup({ options: buildSdkOptions(proxy, canUseTool, settings, undefined) });
    this.warm.catch((error: unknown) => log(`claude pre-warm failed: ${String(error)}`));
  }

  /** Binds the spare to an agent; resolves once the process is ready for its first prompt. */
  claim(ctx: EngineContext, canUseTool: CanUseTool): Promise<WarmQuery> {
    this.binding.ctx = ctx;
    this.binding.canUseTool = canUseTool;
    return this.warm;
  }

  close(): void {
    this.warm.then(
      (w) => w.close(),
      () => undefined,
    );
  }
}
