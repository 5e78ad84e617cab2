// A fake Anthropic Messages API on loopback, so the REAL Claude Agent SDK and the REAL
// @anthropic-ai/sdk run offline. It streams SSE in the documented order (message_start,
// content_block_start, content_block_delta, content_block_stop, message_delta,
// message_stop), answers non-streaming calls too, and logs every request.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReplyBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string }
  | { type: 'tool_use'; name: string; input: Record<string, unknown>; id?: string };

export interface Reply {
  blocks?: ReplyBlock[];
  stopReason?: 'end_turn' | 'tool_use' | 'max_tokens';
  /** Answer with this HTTP error status instead (e.g. 500, 429; 401 and 403 as auth errors). */
  status?: number;
  /** Pause between streamed chunks (interrupt tests). */
  chunkDelayMs?: number;
  /** Split each text block into this many deltas (default 3). */
  chunks?: number;
  usage?: { input_tokens: number; output_tokens: number };
}

export interface LoggedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: MessagesBody;
}

export interface MessagesBody {
  model?: string;
  stream?: boolean;
  max_tokens?: number;
  system?: unknown;
  tools?: { name: string }[];
  messages?: { role: string; content: unknown }[];
}

/** Decides the reply to one main-loop request; undefined = take the next queued reply. */
export type Responder = (request: MessagesBody, index: number) => Reply | undefined;

export interface FakeAnthropicApi {
  readonly url: string;
  readonly requests: LoggedRequest[];
  /** Main-loop requests only (those that offer tools), in order. */
  mainRequests(): LoggedRequest[];
  /** Queue replies for the next main-loop requests, in order. */
  enqueue(...replies: Reply[]): void;
  /** Decide replies by looking at the request instead. */
  respondWith(responder: Responder | undefined): void;
  close(): Promise<void>;
}

const DEFAULT_REPLY: Reply = { blocks: [{ type: 'text', text: 'OK.' }] };

/** Helpers to write scripts briefly. */
export const say = (text: string, extra: Partial<Reply> = {}): Reply => ({
  blocks: [{ type: 'text', text }],
  ...extra,
});
export const callTool = (name: string, input: Record<string, unknown>, text?: string): Reply => ({
  blocks: [...(text ? [{ type: 'text' as const, text }] : []), { type: 'tool_use', name, input }],
  stopReason: 'tool_use',
});

export async function startFakeAnthropicApi(port = 0): Promise<FakeAnthropicApi> {
  const requests: LoggedRequest[] = [];
  const queue: Reply[] = [];
  let responder: Responder | undefined;
  let mainIndex = 0;
  let toolCounter = 0;

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ type: 'error', error: { type: 'api_error', message: String(error) } }),
      );
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let body: MessagesBody = {};
    try {
      body = chunks.length
        ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as MessagesBody)
        : {};
    } catch {
      body = {};
    }
    requests.push({ path, headers: req.headers, body });
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
      json(res, 200, { input_tokens: 42 });
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/messages') {
      json(res, 404, {
        type: 'error',
        error: { type: 'not_found_error', message: `The fake API has no ${req.method} ${path}` },
      });
      return;
    }
    // Side requests (titles, quota probes) offer no tools: answer them plainly.
    const isMain = Array.isArray(body.tools) && body.tools.length > 0;
    const reply = isMain
      ? (responder?.(body, mainIndex) ?? queue.shift() ?? DEFAULT_REPLY)
      : DEFAULT_REPLY;
    if (isMain) mainIndex++;
    if (reply.status && reply.status >= 400) {
      json(res, reply.status, { type: 'error', error: apiError(reply.status) });
      return;
    }
    const blocks = (reply.blocks ?? []).map((b) =>
      b.type === 'tool_use' ? { ...b, id: b.id ?? `toolu_fake_${++toolCounter}` } : b,
    );
    const stopReason =
      reply.stopReason ?? (blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
    const usage = reply.usage ?? { input_tokens: 120, output_tokens: 30 };
    const model = body.model ?? 'claude-fake';
    const message = {
      id: `msg_fake_${requests.length}`,
      type: 'message',
      role: 'assistant',
      model,
    };
    if (!body.stream) {
      json(res, 200, {
        ...message,
        content: blocks.map((b) => (b.type === 'thinking' ? { ...b, signature: 'fake' } : b)),
        stop_reason: stopReason,
        stop_sequence: null,
        usage,
      });
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const send = async (event: string, data: unknown): Promise<void> => {
      if (res.destroyed) return;
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      if (reply.chunkDelayMs) await new Promise((r) => setTimeout(r, reply.chunkDelayMs));
    };
    await send('message_start', {
      type: 'message_start',
      message: {
        ...message,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: usage.input_tokens,
          output_tokens: 1,
          cache_read_input_tokens: 0,
          cache_creation_input_tokens: 0,
        },
      },
    });
    for (const [index, block] of blocks.entries()) {
      if (block.type === 'text') {
        await send('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'text', text: '' },
        });
        for (const piece of split(block.text, reply.chunks ?? 3)) {
          await send('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'text_delta', text: piece },
          });
        }
      } else if (block.type === 'thinking') {
        await send('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'thinking', thinking: '', signature: '' },
        });
        for (const piece of split(block.thinking, reply.chunks ?? 3)) {
          await send('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'thinking_delta', thinking: piece },
          });
        }
        await send('content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'signature_delta', signature: 'fake-signature' },
        });
      } else {
        await send('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        });
        for (const piece of split(JSON.stringify(block.input), 2)) {
          await send('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: piece },
          });
        }
      }
      await send('content_block_stop', { type: 'content_block_stop', index });
    }
    await send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    });
    await send('message_stop', { type: 'message_stop' });
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    mainRequests: () =>
      requests.filter((r) => Array.isArray(r.body.tools) && r.body.tools.length > 0),
    enqueue: (...replies) => queue.push(...replies),
    respondWith: (r) => (responder = r),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The error body the real API sends for a status (401: a bad key, 403: no permission). */
function apiError(status: number): { type: string; message: string } {
  if (status === 401) return { type: 'authentication_error', message: 'invalid x-api-key' };
  if (status === 403)
    return {
      type: 'permission_error',
      message: 'Your API key does not have permission to use the specified resource.',
    };
  if (status === 429) return { type: 'rate_limit_error', message: `Fake API error ${status}` };
  if (status === 529) return { type: 'overloaded_error', message: `Fake API error ${status}` };
  return { type: 'api_error', message: `Fake API error ${status}` };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function split(text: string, parts: number): string[] {
  if (text.length === 0) return [''];
  const size = Math.max(1, Math.ceil(text.length / parts));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** The environment the Claude Code CLI needs to run offline against the fake (recipes.md). */
export function offlineClaudeEnv(apiUrl: string, home: string): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: apiUrl,
    ANTHROPIC_API_KEY: 'sk-ant-fake-key-for-tests',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CODE_MAX_RETRIES: '0',
    HOME: home,
    CLAUDE_CONFIG_DIR: `${home}/.claude`,
    ENABLE_TOOL_SEARCH: 'false',
    IS_SANDBOX: '1',
  };
}
