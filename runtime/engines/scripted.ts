// The scripted engine: deterministic and model-free, for tests, benchmarks and the offline
// demo (always labelled as such in the UI). Directives in the message text run in order:
//   [[stream N SIZE]]  N text events of SIZE chars     [[wait MS]]
//   [[ask TEXT]]       say TEXT, report needs_input     [[fail TEXT]]  the turn fails
//   [[done TEXT]]      say TEXT, report done            [[think TEXT]] a thinking event
//   [[tool NAME {json}]]  call one of ctx.tools         [[permission TOOL {json?}]] ask for TOOL
//   [[typewrite TEXT]] TEXT a few words at a time      [[write PATH TEXT]] a file in its cwd
// Any other text is echoed back as one text event.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorMessage } from '../../protocol/errors';
import type { EngineStatus } from '../../protocol/wire';
import { confine } from './anthropic/pathGuard';
import type { Engine, EngineContext, EngineSession, TurnOutcome } from './engine';

const DIRECTIVE = /\[\[(\w+)(?:\s+([\s\S]*?))?\]\]/g;
/** The pause between pieces of [[typewrite TEXT]]. */
const TYPEWRITE_MS = 35;
/** Yield to the event loop this often while streaming, so interrupts and peers get served. */
const YIELD_EVERY = 256;

/**
 * What `stream` sends, cut to SIZE: words and spaces, as agents write. (It was one run of
 * 'x': a single word thousands of characters long, which the panel lays out many times
 * slower than prose.)
 */
const PROSE = 'The ale flows, the agents work and the whole tavern hums along nicely. ';

type Step = { kind: 'echo'; text: string } | { kind: 'directive'; name: string; arg: string };

/** Index just past the JSON object starting at `from` (balanced braces, strings respected). */
function endOfJson(text: string, from: number): number {
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

export function parseScript(text: string): Step[] {
  const steps: Step[] = [];
  let last = 0;
  const push = (echo: string): void => {
    const trimmed = echo.trim();
    if (trimmed) steps.push({ kind: 'echo', text: trimmed });
  };
  for (;;) {
    DIRECTIVE.lastIndex = last;
    const match = DIRECTIVE.exec(text);
    if (!match) break;
    push(text.slice(last, match.index));
    const name = match[1] ?? '';
    let arg = (match[2] ?? '').trim();
    let end = match.index + match[0].length;
    // A tool's JSON arguments may contain directives of their own ("[[done ...]]" in an
    // assignment): read the object by its braces, not up to the first "]]".
    const withJson = /^\[\[(?:tool|permission)\s+([\w-]+)\s*(?=\{)/.exec(text.slice(match.index));
    if ((name === 'tool' || name === 'permission') && withJson) {
      const jsonStart = match.index + withJson[0].length;
      const jsonEnd = endOfJson(text, jsonStart);
      const close = jsonEnd < 0 ? -1 : text.indexOf(']]', jsonEnd);
      if (close >= 0 && text.slice(jsonEnd, close).trim() === '') {
        arg = `${withJson[1]} ${text.slice(jsonStart, jsonEnd)}`;
        end = close + 2;
      }
    }
    steps.push({ kind: 'directive', name, arg });
    last = end;
  }
  push(text.slice(last));
  return steps;
}

class Interrupted extends Error {}

class ScriptedSession implements EngineSession {
  private abort: AbortController | undefined;
  private writes = 0;

  constructor(private readonly ctx: EngineContext) {
    ctx.setSessionId(`scripted-${ctx.agentId}`);
  }

  async runTurn(text: string): Promise<TurnOutcome> {
    const abort = new AbortController();
    this.abort = abort;
    const started = Date.now();
    let outcome: TurnOutcome = { status: 'completed' };
    try {
      for (const step of parseScript(text)) {
        if (abort.signal.aborted) throw new Interrupted();
        const failure = await this.run(step, abort.signal);
        if (failure !== undefined) {
          outcome = { status: 'failed', message: failure };
          break;
        }
      }
    } catch (error) {
      if (!(error instanceof Interrupted) && !abort.signal.aborted) throw error;
      outcome = { status: 'interrupted' };
    } finally {
      this.abort = undefined;
    }
    const zero = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    this.ctx.emit({ kind: 'usage', ...zero });
    this.ctx.emit({
      kind: 'result',
      ok: outcome.status === 'completed',
      stopReason: outcome.status === 'completed' ? 'end_turn' : outcome.status,
      sessionId: `scripted-${this.ctx.agentId}`,
      ...zero,
      costUsd: 0,
      turns: 1,
      durationMs: Date.now() - started,
    });
    return outcome;
  }

  async interrupt(): Promise<void> {
    this.abort?.abort();
  }

  async dispose(): Promise<void> {
    this.abort?.abort();
  }

  /** Runs one step; returns a failure message for [[fail]]. */
  private async run(step: Step, signal: AbortSignal): Promise<string | undefined> {
    const ctx = this.ctx;
    if (step.kind === 'echo') {
      ctx.emit({ kind: 'text', text: step.text });
      return undefined;
    }
    const { name, arg } = step;
    switch (name) {
      case 'stream': {
        const [count = 1, size = 16] = arg.split(/\s+/).map((n) => Number.parseInt(n, 10));
        const chunk = PROSE.repeat(Math.ceil(Math.max(0, size) / PROSE.length)).slice(0, size);
        for (let i = 0; i < count; i++) {
          if (signal.aborted) throw new Interrupted();
          ctx.emit({ kind: 'text', text: chunk });
          if ((i + 1) % YIELD_EVERY === 0) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            await ctx.drain?.();
          }
        }
        return undefined;
      }
      case 'wait':
        await sleep(Number.parseInt(arg, 10) || 0, signal);
        return undefined;
      case 'think':
        ctx.emit({ kind: 'thinking', text: arg });
        return undefined;
      case 'ask':
        if (arg) ctx.emit({ kind: 'text', text: arg });
        ctx.report('needs_input', arg || 'Needs input.');
        return undefined;
      case 'done':
        if (arg) ctx.emit({ kind: 'text', text: arg });
        ctx.report('done', arg || 'Done.');
        return undefined;
      case 'blocked':
        ctx.report('blocked', arg || 'Blocked.');
        return undefined;
      case 'fail':
        return arg || 'The script asked this turn to fail.';
      case 'permission': {
        const space = arg.search(/\s/);
        const tool = (space < 0 ? arg : arg.slice(0, space)) || 'Write';
        let input: unknown = { scripted: true };
        if (space >= 0) {
          try {
            input = JSON.parse(arg.slice(space + 1));
          } catch {
            input = { scripted: true, note: arg.slice(space + 1) };
          }
        }
        const decision = await ctx.requestPermission({ tool, input, request: 'tool' }, signal);
        if (signal.aborted) throw new Interrupted();
        ctx.emit({
          kind: 'text',
          text:
            decision.decision === 'allow'
              ? `Permission for ${tool}: allowed.`
              : `Permission for ${tool}: denied${decision.message ? ` (${decision.message})` : ''}.`,
        });
        return undefined;
      }
      case 'write':
        await this.write(arg);
        return undefined;
      case 'typewrite':
        // Text that arrives a few words at a time, as a model's would (the offline demo).
        for (const piece of arg.match(/\S+\s*/g) ?? []) {
          if (signal.aborted) throw new Interrupted();
          ctx.emit({ kind: 'text', text: piece });
          await sleep(TYPEWRITE_MS, signal);
        }
        return undefined;
      case 'tool':
        await this.callTool(arg);
        return undefined;
      default:
        ctx.emit({ kind: 'text', text: `[[${name}${arg ? ' ' + arg : ''}]]` });
        return undefined;
    }
  }

  /** [[write PATH CONTENT]]: writes a file in the agent's cwd (never outside it), as a Write. */
  private async write(arg: string): Promise<void> {
    const space = arg.search(/\s/);
    const path = space < 0 ? arg : arg.slice(0, space);
    const content = space < 0 ? '' : `${arg.slice(space + 1)}\n`;
    const id = `scripted-write-${this.ctx.agentId}-${++this.writes}`;
    this.ctx.emit({ kind: 'tool_use', id, name: 'Write', input: { file_path: path, content } });
    try {
      const target = confine(this.ctx.cwd, path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
      this.ctx.emit({
        kind: 'tool_result',
        id,
        content: `Wrote ${Buffer.byteLength(content)} bytes to ${path}.`,
        isError: false,
      });
    } catch (error) {
      this.ctx.emit({ kind: 'tool_result', id, content: errorMessage(error), isError: true });
    }
  }

  private async callTool(arg: string): Promise<void> {
    const space = arg.search(/\s/);
    const name = space < 0 ? arg : arg.slice(0, space);
    const json = space < 0 ? '{}' : arg.slice(space + 1);
    const id = `scripted-tool-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    let input: Record<string, unknown> = {};
    try {
      input = JSON.parse(json) as Record<string, unknown>;
    } catch (error) {
      this.ctx.emit({ kind: 'tool_use', id, name, input: json });
      this.ctx.emit({
        kind: 'tool_result',
        id,
        content: `Arguments are not valid JSON: ${(error as Error).message}`,
        isError: true,
      });
      return;
    }
    this.ctx.emit({ kind: 'tool_use', id, name, input });
    const tool = this.ctx.tools.find((t) => t.name === name);
    if (!tool) {
      const known = this.ctx.tools.map((t) => t.name).join(', ') || 'none';
      this.ctx.emit({
        kind: 'tool_result',
        id,
        content: `Unknown tool "${name}". Available tools: ${known}.`,
        isError: true,
      });
      return;
    }
    try {
      this.ctx.emit({
        kind: 'tool_result',
        id,
        content: await tool.handler(input),
        isError: false,
      });
    } catch (error) {
      this.ctx.emit({ kind: 'tool_result', id, content: (error as Error).message, isError: true });
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Interrupted());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Interrupted());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class ScriptedEngine implements Engine {
  readonly name = 'scripted' as const;

  async probe(): Promise<EngineStatus> {
    return {
      name: 'scripted',
      available: true,
      ready: true,
      detail: 'deterministic, model-free (tests and offline demo)',
    };
  }

  createSession(ctx: EngineContext): EngineSession {
    return new ScriptedSession(ctx);
  }
}
