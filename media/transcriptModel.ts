// An agent's transcript as blocks the panel can draw: consecutive text (or thinking) deltas
// become one block, a tool result joins its tool use, a permission outcome updates its
// request. Pure data (no DOM), so it is cheap for 10,000 events and easy to test.
import type { AgentEvent, AgentEventEnvelope, AgentState } from '../protocol/agentEvents';
import { turnUsage } from '../protocol/usage';

interface BlockBase {
  /** Stable across updates: the seq of the event that opened the block. */
  readonly key: number;
  /** Bumped on every change, so the view knows which rendered nodes are stale. */
  version: number;
}
export type Block = BlockBase &
  (
    | { kind: 'user'; from: string | undefined; text: string }
    | { kind: 'text'; text: string }
    | { kind: 'thinking'; text: string }
    | {
        kind: 'tool';
        toolId: string;
        name: string;
        input: unknown;
        result?: { content: string; isError: boolean };
      }
    | { kind: 'error'; message: string }
    | { kind: 'notice'; level: 'info' | 'warning'; message: string }
    | { kind: 'state'; state: AgentState; reason: string | undefined }
    | {
        kind: 'result';
        ok: boolean;
        turns: number;
        costUsd: number;
        durationMs: number;
        inputTokens: number;
        outputTokens: number;
      }
    | { kind: 'report'; status: string; summary: string }
    | {
        kind: 'permission';
        requestId: string;
        tool: string;
        input: unknown;
        request: 'tool' | 'plan';
        status: 'pending' | 'allowed' | 'denied';
        message: string | undefined;
      }
  );

/** State changes worth a line of their own (working/summoned show as the cogitating line). */
const NOTABLE_STATES = new Set<AgentState>(['done', 'failed', 'interrupted', 'dismissed']);

export class TranscriptModel {
  readonly blocks: Block[] = [];
  firstSeq = 0;
  lastSeq = 0;
  state: AgentState | undefined;
  stateReason: string | undefined;
  /** Set when events arrived that this model did not yet hand to the view. */
  changed = false;
  private readonly tools = new Map<string, Block & { kind: 'tool' }>();
  private readonly permissions = new Map<string, Block & { kind: 'permission' }>();

  constructor(readonly agentId: string) {}

  /** Appends events in seq order (the host sends each once: nothing is dropped here). */
  append(envelopes: readonly AgentEventEnvelope[]): void {
    for (const envelope of envelopes) {
      if (this.firstSeq === 0) this.firstSeq = envelope.seq;
      this.lastSeq = envelope.seq;
      this.apply(envelope.seq, envelope.event);
      this.changed = true;
    }
  }

  private last(): Block | undefined {
    return this.blocks[this.blocks.length - 1];
  }

  private push(block: Block): void {
    this.blocks.push(block);
  }

  private apply(seq: number, event: AgentEvent): void {
    const last = this.last();
    switch (event.kind) {
      case 'text':
      case 'thinking':
        if (last?.kind === event.kind) {
          last.text += event.text;
          last.version++;
        } else this.push({ key: seq, version: 0, kind: event.kind, text: event.text });
        return;
      case 'user':
        this.push({ key: seq, version: 0, kind: 'user', from: event.from, text: event.text });
        return;
      case 'tool_use': {
        const block: Block & { kind: 'tool' } = {
          key: seq,
          version: 0,
          kind: 'tool',
          toolId: event.id,
          name: event.name,
          input: event.input,
        };
        this.tools.set(event.id, block);
        this.push(block);
        return;
      }
      case 'tool_result': {
        const tool = this.tools.get(event.id);
        if (tool) {
          tool.result = { content: event.content, isError: event.isError };
          tool.version++;
        } else
          this.push({
            key: seq,
            version: 0,
            kind: 'tool',
            toolId: event.id,
            name: 'tool result',
            input: undefined,
            result: { content: event.content, isError: event.isError },
          });
        return;
      }
      case 'state':
        this.state = event.state;
        this.stateReason = event.reason;
        if (NOTABLE_STATES.has(event.state))
          this.push({
            key: seq,
            version: 0,
            kind: 'state',
            state: event.state,
            reason: event.reason,
          });
        return;
      case 'usage':
        return; // the result event carries the turn's totals
      case 'result': {
        const turn = turnUsage(event);
        this.push({
          key: seq,
          version: 0,
          kind: 'result',
          ok: event.ok,
          turns: event.turns,
          costUsd: event.costUsd,
          durationMs: event.durationMs,
          inputTokens: turn.inputTokens,
          outputTokens: turn.outputTokens,
        });
        return;
      }
      case 'notice':
        this.push({
          key: seq,
          version: 0,
          kind: 'notice',
          level: event.level,
          message: event.message,
        });
        return;
      case 'error':
        this.push({ key: seq, version: 0, kind: 'error', message: event.message });
        return;
      case 'report':
        this.push({
          key: seq,
          version: 0,
          kind: 'report',
          status: event.status,
          summary: event.summary,
        });
        return;
      case 'permission': {
        const known = this.permissions.get(event.requestId);
        if (known) {
          known.status = event.status;
          known.message = event.message;
          known.version++;
          return;
        }
        const block: Block & { kind: 'permission' } = {
          key: seq,
          version: 0,
          kind: 'permission',
          requestId: event.requestId,
          tool: event.tool,
          input: event.input,
          request: event.request,
          status: event.status,
          message: event.message,
        };
        this.permissions.set(event.requestId, block);
        this.push(block);
        return;
      }
    }
  }
}
