// The anthropic engine through a real worker process: the REAL @anthropic-ai/sdk against
// the fake Messages API, with our confined tool loop.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PermissionRequestParams } from '../../protocol/wire';
import { parseAttachUrl } from '../../extension/core/workers/attachUrl';
import { WorkerClient, type ConnectedWorker } from '../../extension/core/workers/workerClient';
import { EventLog } from '../helpers/agentEvents';
import { startWorker, type RunningWorker } from '../helpers/workerProcess';
import {
  callTool,
  say,
  startFakeAnthropicApi,
  type FakeAnthropicApi,
} from '../fakeApi/fakeAnthropicApi';

let api: FakeAnthropicApi;
let worker: RunningWorker;
let client: ConnectedWorker;
let log: EventLog;
let workdir: string;
let permissions: PermissionRequestParams[];
let decide: () => { decision: 'allow' | 'deny'; message?: string };

beforeAll(async () => {
  api = await startFakeAnthropicApi();
  workdir = mkdtempSync(join(tmpdir(), 'tavern-anthropic-work-'));
  worker = await startWorker({
    workdir,
    env: {
      ANTHROPIC_BASE_URL: api.url,
      ANTHROPIC_API_KEY: 'sk-ant-fake',
      TAVERN_ANTHROPIC_MAX_RETRIES: '0',
      TAVERN_ANTHROPIC_MODEL: 'claude-sonnet-fake',
    },
  });
  client = await new WorkerClient(parseAttachUrl(worker.attachUrl), {
    clientName: 'test',
    clientVersion: '0',
  }).connect();
  log = new EventLog(client);
  client.setPermissionHandler(async (request) => {
    permissions.push(request);
    return decide();
  });
});
afterAll(async () => {
  client.dispose();
  await worker.kill();
  await api.close();
});
beforeEach(() => {
  permissions = [];
  decide = () => ({ decision: 'allow' });
});

const spawn = async (
  assignment: string,
  permissionMode: 'default' | 'plan' | 'acceptEdits' = 'default',
): Promise<string> =>
  (await client.spawn({ name: 'Anthropic test', engine: 'anthropic', assignment, permissionMode }))
    .agentId;
const textOf = (agentId: string): string =>
  log
    .of(agentId)
    .map((e) => (e.event.kind === 'text' ? e.event.text : ''))
    .join('');
const toolResults = (agentId: string): { content: string; isError: boolean }[] =>
  log
    .of(agentId)
    .flatMap((e) =>
      e.event.kind === 'tool_result'
        ? [{ content: e.event.content, isError: e.event.isError }]
        : [],
    );

describe('anthropic engine (real @anthropic-ai/sdk, fake API)', () => {
  it('streams text, ends with a priced result, and continues the conversation on the next message', async () => {
    api.enqueue(say('Hello from the Messages API.', { chunks: 5 }));
    const agentId = await spawn('Say hello');
    await log.untilIdle(agentId);
    expect(textOf(agentId)).toBe('Hello from the Messages API.');
    expect(log.of(agentId).find((e) => e.event.kind === 'result')?.event).toMatchObject({
      ok: true,
      inputTokens: 120,
      outputTokens: 30,
    });
    expect(
      (log.of(agentId).find((e) => e.event.kind === 'result')?.event as { costUsd: number })
        .costUsd,
    ).toBeGreaterThan(0);

    api.enqueue(say('Second.'));
    const before = log.of(agentId).length;
    await client.send({ agentId, text: 'again' });
    await log.until(
      () =>
        log
          .of(agentId)
          .slice(before)
          .some((e) => e.event.kind === 'result'),
      'second result',
    );
    const messages = api.mainRequests().at(-1)?.body.messages ?? [];
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(messages[1])).toContain('Hello from the Messages API.');
  });

  it('write_file asks permission: allow writes, deny does not and the run still ends with a result', async () => {
    api.enqueue(
      callTool('write_file', { path: 'notes/allowed.txt', content: 'yes\n' }),
      say('Done writing.'),
    );
    const allowed = await spawn('write it');
    await log.untilIdle(allowed);
    expect(permissions.map((p) => p.tool)).toEqual(['write_file']);
    expect(readFileSync(join(workdir, 'notes/allowed.txt'), 'utf8')).toBe('yes\n');

    decide = () => ({ decision: 'deny', message: 'no thanks' });
    api.enqueue(callTool('write_file', { path: 'denied.txt', content: 'no' }), say('Fine.'));
    const denied = await spawn('try to write');
    await log.untilIdle(denied);
    expect(existsSync(join(workdir, 'denied.txt'))).toBe(false);
    expect(toolResults(denied)[0]).toMatchObject({ isError: true });
    expect(toolResults(denied)[0]?.content).toMatch(/denied write_file: no thanks/);
    expect(log.of(denied).some((e) => e.event.kind === 'result')).toBe(true);
  });

  it('refuses paths that escape the working directory: .., absolute, and symlinks', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'tavern-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    mkdirSync(join(workdir, 'links'), { recursive: true });
    symlinkSync(outside, join(workdir, 'links/out'));
    api.enqueue(
      {
        blocks: [
          { type: 'tool_use', name: 'read_file', input: { path: '../../etc/passwd' } },
          { type: 'tool_use', name: 'read_file', input: { path: join(outside, 'secret.txt') } },
          { type: 'tool_use', name: 'read_file', input: { path: 'links/out/secret.txt' } },
          {
            type: 'tool_use',
            name: 'write_file',
            input: { path: 'links/out/new.txt', content: 'x' },
          },
        ],
      },
      say('I could not read those.'),
    );
    const agentId = await spawn('read outside', 'acceptEdits');
    await log.untilIdle(agentId);
    const results = toolResults(agentId);
    expect(results).toHaveLength(4);
    for (const r of results) {
      expect(r.isError).toBe(true);
      expect(r.content).toMatch(/^Refused: .*(outside your working directory|symlink)/);
    }
    expect(existsSync(join(outside, 'new.txt'))).toBe(false);
  });

  it('plan mode refuses changes without asking', async () => {
    api.enqueue(callTool('run_command', { command: 'touch planned.txt' }), say('ok'));
    const agentId = await spawn('plan only', 'plan');
    await log.untilIdle(agentId);
    expect(permissions).toHaveLength(0);
    expect(toolResults(agentId)[0]?.content).toMatch(/plan mode/);
    expect(existsSync(join(workdir, 'planned.txt'))).toBe(false);
  });

  it('report done moves the agent to done', async () => {
    api.enqueue(
      callTool('report', { status: 'done', summary: 'Wrote the notes.' }),
      say('Reported.'),
    );
    const agentId = await spawn('finish');
    await log.untilState(agentId, 'done');
    expect(log.of(agentId).find((e) => e.event.kind === 'report')?.event).toEqual({
      kind: 'report',
      status: 'done',
      summary: 'Wrote the notes.',
    });
  });

  it('interrupts mid-stream', async () => {
    api.enqueue(say('slow '.repeat(100), { chunks: 100, chunkDelayMs: 50 }));
    const agentId = await spawn('talk slowly');
    await log.until(() => log.of(agentId).some((e) => e.event.kind === 'text'), 'first text');
    await client.interrupt(agentId);
    await log.untilState(agentId, 'interrupted');
    expect(textOf(agentId).length).toBeLessThan('slow '.repeat(100).length);
  });

  it('an API 500 ends the agent failed with a readable error', async () => {
    api.enqueue({ status: 500 });
    const agentId = await spawn('fail please');
    await log.untilState(agentId, 'failed');
    const error = log.of(agentId).find((e) => e.event.kind === 'error')?.event;
    expect(error?.kind === 'error' && error.message).toMatch(/Anthropic API error 500/);
  });
});
