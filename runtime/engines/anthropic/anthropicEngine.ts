// The `anthropic` engine: the Messages API (streaming) with our own small tool loop. The API
// key is the worker's own (ANTHROPIC_API_KEY) and never crosses the wire. The conversation
// lives in the session, so every message continues it.
import Anthropic from '@anthropic-ai/sdk';
import { nanoid } from 'nanoid';
import type { EngineStatus } from '../../../protocol/wire';
import type { Engine, EngineContext, EngineSession, TurnOutcome } from '../engine';
import { costUsd, priceOf } from './pricing';
import { runTool, toolSpecs } from './tools';

const DEFAULT_MODEL = 'claude-sonnet-4-5';
const MAX_TOOL_ROUNDS = 50;
const AGENT_SYSTEM = `You are an agent of Tavern working in a directory on a worker machine. Use the tools to read, search, edit and run commands there; paths are relative to your working directory.
When you finish your assignment, call report with status "done" and an exact summary. If you need input, call report with "needs_input"; if blocked, with "blocked".`;

type Block = Anthropic.ContentBlockParam;

class AnthropicSession implements EngineSession {
  private readonly history: Anthropic.MessageParam[] = [];
  private abort: AbortController | undefined;
  private readonly model: string;
  private warnedPrice = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly client: Anthropic,
  ) {
    this.model = ctx.model ?? process.env.TAVERN_ANTHROPIC_MODEL ?? DEFAULT_MODEL;
    ctx.setSessionId(ctx.resumeSessionId ?? `anthropic-${nanoid(10)}`);
  }

  async runTurn(text: string): Promise<TurnOutcome> {
    const abort = new AbortController();
    this.abort = abort;
    const started = Date.now();
    const totals = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, turns: 0 };
    let stopReason = 'end_turn';
    let outcome: TurnOutcome = { status: 'completed' };
    this.history.push({ role: 'user', content: text });
    try {
      for (let round = 0; round < MAX_TOOL_ROUNDS; round++) {
        const reply = await this.streamOnce(abort.signal, totals);
        totals.turns++;
        stopReason = reply.stopReason;
        this.history.push({ role: 'assistant', content: reply.content });
        const calls = reply.content.filter(
          (b): b is Anthropic.ToolUseBlockParam => b.type === 'tool_use',
        );
        if (reply.stopReason !== 'tool_use' || calls.length === 0) break;
        const results: Block[] = [];
        for (const call of calls) {
          const result = await runTool(
            call.name,
            (call.input ?? {}) as Record<string, unknown>,
            this.ctx,
            abort.signal,
          );
          if (abort.signal.aborted) throw new Anthropic.APIUserAbortError();
          this.ctx.emit({
            kind: 'tool_result',
            id: call.id,
            content: result.content,
            isError: result.isError,
          });
          results.push({
            type: 'tool_result',
            tool_use_id: call.id,
            content: result.content,
            is_error: result.isError,
          });
        }
        this.history.push({ role: 'user', content: results });
      }
    } catch (error) {
      if (abort.signal.aborted || error instanceof Anthropic.APIUserAbortError) {
        outcome = { status: 'interrupted' };
        stopReason = 'interrupted';
      } else {
        const message =
          error instanceof Anthropic.APIError
            ? `Anthropic API error ${String(error.status ?? '')}: ${error.message}`
            : `The anthropic engine failed: ${String(error)}`;
        outcome = { status: 'failed', message };
        stopReason = 'error';
      }
      this.repairHistory();
    } finally {
      this.abort = undefined;
    }
    const counts = {
      inputTokens: totals.input,
      outputTokens: totals.output,
      cacheReadTokens: totals.cacheRead,
      cacheWriteTokens: totals.cacheWrite,
    };
    this.ctx.emit({ kind: 'usage', ...counts });
    this.ctx.emit({
      kind: 'result',
      ok: outcome.status === 'completed',
      stopReason,
      ...counts,
      costUsd: costUsd(this.model, totals.input, totals.output),
      turns: totals.turns,
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

  /** One streamed model call: emits deltas as they come, returns the assembled message. */
  private async streamOnce(
    signal: AbortSignal,
    totals: { input: number; output: number; cacheRead: number; cacheWrite: number },
  ): Promise<{ content: Block[]; stopReason: string }> {
    if (!this.warnedPrice && !priceOf(this.model)) {
      this.warnedPrice = true;
      this.ctx.emit({
        kind: 'notice',
        level: 'warning',
        code: 'unknown_price',
        message: `Unknown model price for ${this.model}: costs show as $0.`,
      });
    }
    const stream = await this.client.messages.create(
      {
        model: this.model,
        max_tokens: 8192,
        system: [this.ctx.role === 'agent' ? AGENT_SYSTEM : undefined, this.ctx.systemPrompt]
          .filter(Boolean)
          .join('\n\n'),
        messages: this.history,
        tools: toolSpecs(this.ctx) as Anthropic.Tool[],
        stream: true,
      },
      { signal },
    );
    const blocks: Block[] = [];
    const partialJson = new Map<number, string>();
    let stopReason = 'end_turn';
    const stop = (): void => stream.controller.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const event of stream) {
        if (signal.aborted) throw new Anthropic.APIUserAbortError();
        stopReason = this.apply(event, blocks, partialJson, totals) ?? stopReason;
        // The next chunk is read once the journal keeps up (bounded memory).
        await this.ctx.drain?.();
      }
    } finally {
      signal.removeEventListener('abort', stop);
    }
    if (signal.aborted) throw new Anthropic.APIUserAbortError();
    return { content: blocks.filter(Boolean), stopReason };
  }

  /** Applies one stream event: emits deltas, assembles blocks; returns a stop reason if given. */
  private apply(
    event: Anthropic.RawMessageStreamEvent,
    blocks: Block[],
    partialJson: Map<number, string>,
    totals: { input: number; output: number; cacheRead: number; cacheWrite: number },
  ): string | undefined {
    if (event.type === 'message_start') {
      totals.input += event.message.usage.input_tokens;
      totals.cacheRead += event.message.usage.cache_read_input_tokens ?? 0;
      totals.cacheWrite += event.message.usage.cache_creation_input_tokens ?? 0;
    } else if (event.type === 'content_block_start') {
      const b = event.content_block;
      if (b.type === 'text') blocks[event.index] = { type: 'text', text: '' };
      else if (b.type === 'thinking')
        blocks[event.index] = { type: 'thinking', thinking: '', signature: '' };
      else if (b.type === 'tool_use') {
        blocks[event.index] = { type: 'tool_use', id: b.id, name: b.name, input: {} };
        partialJson.set(event.index, '');
      }
    } else if (event.type === 'content_block_delta') {
      const block = blocks[event.index];
      const d = event.delta;
      if (d.type === 'text_delta' && block?.type === 'text') {
        block.text += d.text;
        this.ctx.emit({ kind: 'text', text: d.text });
      } else if (d.type === 'thinking_delta' && block?.type === 'thinking') {
        block.thinking += d.thinking;
        this.ctx.emit({ kind: 'thinking', text: d.thinking });
      } else if (d.type === 'signature_delta' && block?.type === 'thinking') {
        block.signature += d.signature;
      } else if (d.type === 'input_json_delta') {
        partialJson.set(event.index, (partialJson.get(event.index) ?? '') + d.partial_json);
      }
    } else if (event.type === 'content_block_stop') {
      const block = blocks[event.index];
      if (block?.type === 'tool_use') {
        const raw = partialJson.get(event.index) ?? '';
        block.input = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
        this.ctx.emit({ kind: 'tool_use', id: block.id, name: block.name, input: block.input });
      }
    } else if (event.type === 'message_delta') {
      totals.output += event.usage.output_tokens;
      return event.delta.stop_reason ?? undefined;
    }
    return undefined;
  }

  /** After a failure mid-loop, drop a dangling tool_use turn so the next call is valid. */
  private repairHistory(): void {
    const last = this.history.at(-1);
    if (last?.role === 'assistant') this.history.pop();
  }
}

export class AnthropicEngine implements Engine {
  readonly name = 'anthropic' as const;
  private client: Anthropic | undefined;

  async probe(): Promise<EngineStatus> {
    // Without a key the engine can do nothing at all: neither available (so older
    // coordinators, which read only `available`, skip it too) nor ready.
    if (!process.env.ANTHROPIC_API_KEY?.trim()) {
      return {
        name: 'anthropic',
        available: false,
        ready: false,
        reason:
          "ANTHROPIC_API_KEY is not set in the worker's environment. Start tavern-worker with it set to use the anthropic engine.",
      };
    }
    return {
      name: 'anthropic',
      available: true,
      ready: true,
      detail: `Messages API at ${process.env.ANTHROPIC_BASE_URL ?? 'api.anthropic.com'}, model ${process.env.TAVERN_ANTHROPIC_MODEL ?? DEFAULT_MODEL}`,
    };
  }

  createSession(ctx: EngineContext): EngineSession {
    this.client ??= new Anthropic({
      maxRetries: Number(process.env.TAVERN_ANTHROPIC_MAX_RETRIES ?? 2),
    });
    return new AnthropicSession(ctx, this.client);
  }
}
