// Maps Claude Agent SDK messages to Tavern agent events. Text and thinking come from the
// partial stream events as deltas; tool calls from the assistant messages (complete input);
// tool results from the user messages; the result message closes a turn.
import type { SDKMessage, SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';
import type { AgentEvent } from '../../../protocol/agentEvents';
import { AUTH_REQUIRED, authFailureMessage, isAuthFailure, type TurnFailure } from './authFailure';

type Emitted = Exclude<AgentEvent, { kind: 'state' }>;

export interface MapperOutput {
  events: Emitted[];
  /** Present once per turn, on the SDK's result message. `code` e.g. `auth_required`. */
  result?: { ok: boolean; error?: string; code?: string };
  sessionId?: string;
}

interface ContentBlock {
  type: string;
  text?: string;
  thinking?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
}

/** Tool result content is a string or a list of blocks; the UI wants text. */
export function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: ContentBlock) => (part.type === 'text' ? (part.text ?? '') : `[${part.type}]`))
      .join('\n');
  }
  return content === undefined ? '' : JSON.stringify(content);
}

export class SdkEventMapper {
  /** Text seen as deltas in the current assistant message (then its final copy is skipped). */
  private streamedText = false;
  private streamedThinking = false;
  /** The CLI's synthetic API-error message of this turn, if any (see mapAssistant). */
  private apiError: TurnFailure | undefined;
  /**
   * The SDK's total_cost_usd is the running total of one query() (a resumed one continues from
   * the total its transcript saved), while usage is per turn. Events carry per-turn figures
   * everywhere, so the cost of a turn is this total minus the previous one.
   */
  private costSoFar = 0;

  /** A new query() starts: a fresh one counts from zero, a resumed one from what it saw. */
  startQuery(resumed: boolean): void {
    if (!resumed) this.costSoFar = 0;
  }

  map(message: SDKMessage): MapperOutput {
    switch (message.type) {
      case 'stream_event':
        return {
          events: this.mapStream(
            message.event as {
              type: string;
              delta?: { type: string; text?: string; thinking?: string };
            },
          ),
        };
      case 'assistant':
        return { events: this.mapAssistant(message) };
      case 'user':
        return { events: this.mapUser(message.message.content) };
      case 'result':
        return this.mapResult(message);
      case 'rate_limit_event': {
        const info = message.rate_limit_info;
        if (info.status === 'allowed') return { events: [] };
        const resets = info.resetsAt
          ? ` Resets at ${new Date(info.resetsAt * 1000).toISOString()}.`
          : '';
        return {
          events: [
            {
              kind: 'notice',
              level: 'warning',
              code: 'rate_limit',
              message: `Rate limit ${info.status === 'rejected' ? 'reached' : 'close'} (${info.rateLimitType ?? 'usage'}).${resets}`,
            },
          ],
        };
      }
      case 'system':
        return this.mapSystem(message as SDKMessage & { subtype: string });
      default:
        return { events: [] };
    }
  }

  private mapStream(event: {
    type: string;
    delta?: { type: string; text?: string; thinking?: string };
  }): Emitted[] {
    if (event.type === 'message_start') {
      this.streamedText = false;
      this.streamedThinking = false;
      return [];
    }
    if (event.type !== 'content_block_delta' || !event.delta) return [];
    if (event.delta.type === 'text_delta' && event.delta.text) {
      this.streamedText = true;
      return [{ kind: 'text', text: event.delta.text }];
    }
    if (event.delta.type === 'thinking_delta' && event.delta.thinking) {
      this.streamedThinking = true;
      return [{ kind: 'thinking', text: event.delta.thinking }];
    }
    return [];
  }

  private mapAssistant(message: SDKMessage & { type: 'assistant' }): Emitted[] {
    const events: Emitted[] = [];
    // The CLI reports API failures (and a missing login) as an assistant message marked with
    // `error`; its text becomes the turn's failure instead of a reply.
    const failed = message.error;
    const status = (message as { api_error_status?: number | null }).api_error_status;
    for (const block of message.message.content as ContentBlock[]) {
      if (block.type === 'tool_use' && block.id && block.name) {
        events.push({ kind: 'tool_use', id: block.id, name: block.name, input: block.input ?? {} });
      } else if (block.type === 'text' && block.text) {
        if (failed || block.text.startsWith('API Error'))
          this.apiError = { kind: failed, status, text: block.text };
        if (!this.streamedText && !failed) events.push({ kind: 'text', text: block.text });
      } else if (block.type === 'thinking' && block.thinking && !this.streamedThinking) {
        events.push({ kind: 'thinking', text: block.thinking });
      }
    }
    return events;
  }

  private mapUser(content: unknown): Emitted[] {
    if (!Array.isArray(content)) return [];
    return (content as ContentBlock[])
      .filter((block) => block.type === 'tool_result' && block.tool_use_id)
      .map((block) => ({
        kind: 'tool_result',
        id: block.tool_use_id ?? '',
        content: toolResultText(block.content),
        isError: block.is_error === true,
      }));
  }

  private mapSystem(message: SDKMessage & { subtype: string }): MapperOutput {
    const m = message as unknown as Record<string, unknown>;
    switch (message.subtype) {
      case 'init':
        return {
          events: [
            {
              kind: 'notice',
              level: 'info',
              code: 'session',
              message: `Claude session ${String(m.session_id)} (model ${String(m.model)}, ${String(m.permissionMode)} permissions).`,
            },
          ],
          sessionId: String(m.session_id),
        };
      case 'status':
        return m.status === 'compacting'
          ? {
              events: [
                {
                  kind: 'notice',
                  level: 'info',
                  code: 'compacting',
                  message: 'Compacting the conversation…',
                },
              ],
            }
          : { events: [] };
      case 'compact_boundary':
        return {
          events: [
            {
              kind: 'notice',
              level: 'info',
              code: 'compacted',
              message: 'Conversation compacted.',
            },
          ],
        };
      case 'api_retry':
        return {
          events: [
            {
              kind: 'notice',
              level: 'warning',
              code: 'api_retry',
              message: `API ${m.error_status ? `error ${String(m.error_status)}` : 'timeout'}; retry ${String(m.attempt)} of ${String(m.max_retries)} in ${Math.round(Number(m.retry_delay_ms) / 1000)} s.`,
            },
          ],
        };
      default:
        return { events: [] };
    }
  }

  private mapResult(message: SDKResultMessage): MapperOutput {
    const usage = message.usage as {
      input_tokens?: number;
      output_tokens?: number;
      cache_read_input_tokens?: number;
      cache_creation_input_tokens?: number;
    };
    const counts = {
      inputTokens: usage.input_tokens ?? 0,
      outputTokens: usage.output_tokens ?? 0,
      cacheReadTokens: usage.cache_read_input_tokens ?? 0,
      cacheWriteTokens: usage.cache_creation_input_tokens ?? 0,
    };
    const total = message.total_cost_usd;
    const turnCost = total >= this.costSoFar ? total - this.costSoFar : total;
    this.costSoFar = total;
    const ok = message.subtype === 'success' && !message.is_error;
    const failure = ok ? undefined : this.failureOf(message);
    this.apiError = undefined;
    return {
      events: [
        { kind: 'usage', ...counts },
        {
          kind: 'result',
          ok,
          ...(message.stop_reason
            ? { stopReason: message.stop_reason }
            : { stopReason: message.subtype }),
          sessionId: message.session_id,
          ...counts,
          costUsd: Math.max(0, turnCost),
          turns: message.num_turns,
          durationMs: message.duration_ms,
        },
      ],
      result: failure ? { ok, ...failure } : { ok },
      sessionId: message.session_id,
    };
  }

  /** Why a turn failed, in words that say what to do; never "ended with success". */
  private failureOf(message: SDKResultMessage): { error: string; code?: string } {
    const status = (message as { api_error_status?: number | null }).api_error_status;
    const text =
      this.apiError?.text ??
      (message.subtype === 'success' && message.result
        ? message.result
        : 'errors' in message && message.errors.length
          ? message.errors.join('; ')
          : undefined);
    if (text === undefined) return { error: `The Claude turn ended with ${message.subtype}.` };
    const failure: TurnFailure = {
      kind: this.apiError?.kind,
      status: this.apiError?.status ?? status,
      text,
    };
    return isAuthFailure(failure)
      ? { error: authFailureMessage(failure), code: AUTH_REQUIRED }
      : { error: text };
  }
}
