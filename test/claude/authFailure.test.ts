// A claude agent without usable credentials, with the REAL Claude Code CLI in a real worker:
// no login at all ("Not logged in", no API call made) and a key the API rejects (401/403
// from the fake API). The turn fails with `auth_required` and words that say what to do;
// nothing reads "ended with success", and the CLI's "/login" line is not shown as a reply.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import type { AgentEventEnvelope } from '../../protocol/agentEvents';
import { SdkEventMapper } from '../../runtime/engines/claude/sdkEventMapper';
import { parseAttachUrl } from '../../extension/core/workers/attachUrl';
import { WorkerClient, type ConnectedWorker } from '../../extension/core/workers/workerClient';
import { EventLog } from '../helpers/agentEvents';
import { startWorker, type RunningWorker } from '../helpers/workerProcess';
import {
  offlineClaudeEnv,
  startFakeAnthropicApi,
  type FakeAnthropicApi,
} from '../fakeApi/fakeAnthropicApi';

let api: FakeAnthropicApi;
let worker: RunningWorker | undefined;
let client: ConnectedWorker | undefined;

beforeAll(async () => {
  api = await startFakeAnthropicApi();
});
afterAll(() => api.close());
afterEach(async () => {
  client?.dispose();
  client = undefined;
  await worker?.kill();
  worker = undefined;
});

async function workerWith(
  env: NodeJS.ProcessEnv,
): Promise<{ client: ConnectedWorker; log: EventLog }> {
  worker = await startWorker({
    env: { TAVERN_CLAUDE_PERSIST_SESSION: '0', TAVERN_CLAUDE_LOAD_SETTINGS: '0', ...env },
  });
  client = await new WorkerClient(parseAttachUrl(worker.attachUrl), {
    clientName: 'test',
    clientVersion: '0',
  }).connect();
  return { client, log: new EventLog(client) };
}

async function failedTurn(c: ConnectedWorker, log: EventLog): Promise<AgentEventEnvelope[]> {
  const { agentId } = await c.spawn({ name: 'Gandalf', engine: 'claude', assignment: 'Hello' });
  await log.untilState(agentId, 'failed');
  return log.of(agentId);
}

const errorsOf = (events: AgentEventEnvelope[]) =>
  events.flatMap((e) => (e.event.kind === 'error' ? [e.event] : []));

describe('claude without usable credentials', () => {
  it('not signed in: hello says not ready, and a turn fails with auth_required', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tavern-nologin-'));
    const env = offlineClaudeEnv(api.url, home);
    const { client: c, log } = await workerWith({ ...env, ANTHROPIC_API_KEY: '' });
    const claude = c.hello.engines.find((e) => e.name === 'claude');
    expect(claude).toMatchObject({ available: true, ready: false });
    expect(claude?.reason).toMatch(/not signed in: run `claude auth login`.*ANTHROPIC_API_KEY/);

    const requestsBefore = api.requests.length;
    const events = await failedTurn(c, log);
    const errors = errorsOf(events);
    expect(errors).toEqual([
      {
        kind: 'error',
        code: 'auth_required',
        message: expect.stringMatching(
          /^Claude Code is not signed in \(it said: "Not logged in · Please run \/login"\)\. To use it, run `claude auth login`/,
        ),
      },
    ]);
    const state = events.findLast((e) => e.event.kind === 'state')?.event;
    expect(state).toMatchObject({ state: 'failed', reason: errors[0]?.message });
    const shown = JSON.stringify(events);
    expect(shown).not.toMatch(/ended with success/);
    expect(events.some((e) => e.event.kind === 'text')).toBe(false);
    // Claude Code decided without calling the API.
    expect(api.requests.length).toBe(requestsBefore);
  });

  for (const status of [401, 403]) {
    it(`a key the API rejects (${status}) fails with auth_required`, async () => {
      api.respondWith(() => ({ status }));
      const home = mkdtempSync(join(tmpdir(), 'tavern-badkey-'));
      const { client: c, log } = await workerWith(offlineClaudeEnv(api.url, home));
      expect(c.hello.engines.find((e) => e.name === 'claude')).toMatchObject({ ready: true });
      const errors = errorsOf(await failedTurn(c, log));
      expect(errors).toEqual([
        {
          kind: 'error',
          code: 'auth_required',
          message: expect.stringMatching(
            new RegExp(
              `^Claude Code's credentials were rejected \\(${status}: .+\\)\\. Check the API key \\(ANTHROPIC_API_KEY\\), or sign in again`,
            ),
          ),
        },
      ]);
      api.respondWith(undefined);
    });
  }

  it('an API 500 still fails with its own message and no auth code', async () => {
    api.respondWith(() => ({ status: 500 }));
    const home = mkdtempSync(join(tmpdir(), 'tavern-500-'));
    const { client: c, log } = await workerWith(offlineClaudeEnv(api.url, home));
    const errors = errorsOf(await failedTurn(c, log));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBeUndefined();
    expect(errors[0]?.message).toMatch(/500/);
    expect(errors[0]?.message).not.toMatch(/ended with success/);
    api.respondWith(undefined);
  });
});

describe('SdkEventMapper on auth failures worded by older CLIs', () => {
  it('recognises the words without the SDK error field', () => {
    const mapper = new SdkEventMapper();
    const text = 'API Error: 401 {"type":"error","error":{"type":"authentication_error"}}';
    const assistant = {
      type: 'assistant',
      message: { content: [{ type: 'text', text }] },
    } as unknown as SDKMessage;
    expect(mapper.map(assistant).events).toEqual([{ kind: 'text', text }]);
    const result = {
      type: 'result',
      subtype: 'success',
      is_error: true,
      result: text,
      usage: {},
      session_id: 's',
      total_cost_usd: 0,
      num_turns: 1,
      duration_ms: 1,
      stop_reason: null,
    } as unknown as SDKMessage;
    expect(mapper.map(result).result).toEqual({
      ok: false,
      code: 'auth_required',
      error: expect.stringMatching(
        /^Claude Code's credentials were rejected \(401: API Error: 401/,
      ),
    });
  });
});
