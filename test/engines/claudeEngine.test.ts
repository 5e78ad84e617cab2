// The claude engine through a real worker process: the REAL Claude Agent SDK and Claude Code
// binary, offline against the fake Anthropic API.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
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
  offlineClaudeEnv,
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
let decide: (request: PermissionRequestParams) => { decision: 'allow' | 'deny'; message?: string };

beforeAll(async () => {
  api = await startFakeAnthropicApi();
  workdir = mkdtempSync(join(tmpdir(), 'tavern-claude-work-'));
  const home = mkdtempSync(join(tmpdir(), 'tavern-claude-home-'));
  worker = await startWorker({
    workdir,
    // Debug logs say when a spare process is claimed and when the next one starts.
    args: ['--log-level', 'debug'],
    env: {
      ...offlineClaudeEnv(api.url, home),
      TAVERN_CLAUDE_PERSIST_SESSION: '0',
      TAVERN_CLAUDE_PREWARM: '1',
      TAVERN_CLAUDE_LOAD_SETTINGS: '0',
    },
  });
  client = await new WorkerClient(parseAttachUrl(worker.attachUrl), {
    clientName: 'test',
    clientVersion: '0',
  }).connect();
  log = new EventLog(client);
  client.setPermissionHandler(async (request) => {
    permissions.push(request);
    return decide(request);
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
  api.respondWith(undefined);
});

/** Resolves once `test` holds, checked now and on every `subscribe` callback. */
function until(test: () => boolean, subscribe: (check: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (test()) resolve();
    };
    subscribe(check);
    check();
  });
}

const textOf = (agentId: string): string =>
  log
    .of(agentId)
    .map((e) => (e.event.kind === 'text' ? e.event.text : ''))
    .join('');

async function spawnClaude(
  assignment: string,
  permissionMode: 'default' | 'plan' | 'acceptEdits' = 'default',
): Promise<string> {
  const { agentId } = await client.spawn({
    name: 'Claude test',
    engine: 'claude',
    assignment,
    permissionMode,
  });
  return agentId;
}

describe('claude engine (real SDK, fake API)', () => {
  it('is reported usable in hello, with where Claude Code was found', () => {
    const claude = client.hello.engines.find((e) => e.name === 'claude');
    expect(claude?.available).toBe(true);
    expect(claude?.detail).toMatch(/Claude Code at .*claude/);
  });

  it('streams text deltas and ends the turn with a result; a second message continues the same session', async () => {
    api.enqueue(say('Hello there, friend of the Tavern.', { chunks: 4 }));
    const agentId = await spawnClaude('Say hello');
    await log.untilIdle(agentId);
    expect(log.of(agentId).filter((e) => e.event.kind === 'text').length).toBeGreaterThanOrEqual(3);
    expect(textOf(agentId)).toBe('Hello there, friend of the Tavern.');
    const first = log.of(agentId).find((e) => e.event.kind === 'result')?.event;
    expect(first).toMatchObject({ kind: 'result', ok: true, inputTokens: 120, outputTokens: 30 });

    api.enqueue(say('Second answer.'));
    const before = log.of(agentId).length;
    await client.send({ agentId, text: 'And again' });
    await log.until(
      () =>
        log
          .of(agentId)
          .slice(before)
          .some((e) => e.event.kind === 'state' && e.event.state === 'waiting'),
      'second turn',
    );
    const results = log
      .of(agentId)
      .filter((e) => e.event.kind === 'result')
      .map((e) => e.event);
    expect(results).toHaveLength(2);
    const sessions = results.map((r) => (r.kind === 'result' ? r.sessionId : undefined));
    expect(sessions[0]).toBeTruthy();
    expect(sessions[1]).toBe(sessions[0]);
    // The model saw the first exchange: same conversation, not a new one.
    const last = api.mainRequests().at(-1)?.body.messages ?? [];
    expect(JSON.stringify(last)).toContain('Hello there, friend of the Tavern.');
  });

  it('asks permission for Write over the wire: allow writes the file', async () => {
    const file = join(workdir, 'allowed.txt');
    api.enqueue(
      callTool('Write', { file_path: file, content: 'written by an agent\n' }),
      say('I wrote the file.'),
    );
    const agentId = await spawnClaude('Write the file');
    await log.untilIdle(agentId);
    expect(permissions.map((p) => p.tool)).toEqual(['Write']);
    expect(permissions[0]?.request).toBe('tool');
    expect(readFileSync(file, 'utf8')).toBe('written by an agent\n');
    const kinds = log.of(agentId).map((e) => e.event.kind);
    expect(kinds).toContain('tool_use');
    expect(kinds).toContain('tool_result');
    expect(
      log
        .of(agentId)
        .some(
          (e) =>
            e.event.kind === 'state' &&
            e.event.state === 'waiting' &&
            e.event.reason === 'permission',
        ),
    ).toBe(true);
  });

  it('deny does not write, and the run still ends with a result', async () => {
    decide = () => ({ decision: 'deny', message: 'Not today.' });
    const file = join(workdir, 'denied.txt');
    api.enqueue(
      callTool('Write', { file_path: file, content: 'nope' }),
      say('Understood, I did not write it.'),
    );
    const agentId = await spawnClaude('Try to write');
    await log.untilIdle(agentId);
    await log.until(() => log.of(agentId).some((e) => e.event.kind === 'result'), 'a result');
    expect(existsSync(file)).toBe(false);
    const toolResult = log.of(agentId).find((e) => e.event.kind === 'tool_result')?.event;
    expect(toolResult).toMatchObject({ isError: true });
    expect(JSON.stringify(toolResult)).toContain('Not today.');
  });

  it('interrupts a turn mid-stream', async () => {
    api.enqueue(say('word '.repeat(200), { chunks: 100, chunkDelayMs: 50 }));
    const agentId = await spawnClaude('Talk for a long time');
    await log.until(() => log.of(agentId).some((e) => e.event.kind === 'text'), 'first text');
    await client.interrupt(agentId);
    await log.untilState(agentId, 'interrupted');
    expect(textOf(agentId).length).toBeLessThan('word '.repeat(200).length);
  });

  it('a report done from the tavern tool moves the agent to done', async () => {
    api.enqueue(
      callTool('mcp__tavern__report', { status: 'done', summary: 'Counted the barrels: 12.' }),
      say('Reported.'),
    );
    const agentId = await spawnClaude('Count the barrels');
    await log.untilState(agentId, 'done');
    const report = log.of(agentId).find((e) => e.event.kind === 'report')?.event;
    expect(report).toEqual({ kind: 'report', status: 'done', summary: 'Counted the barrels: 12.' });
    expect(permissions).toHaveLength(0); // the tavern tools never prompt
  });

  it('leaving plan mode is a plan review request carrying the plan', async () => {
    api.enqueue(
      callTool('ExitPlanMode', { plan: '1. Read the code\n2. Fix the bug' }),
      say('Plan approved; starting.'),
    );
    const agentId = await spawnClaude('Plan the fix', 'plan');
    await log.untilIdle(agentId);
    const plan = permissions.find((p) => p.request === 'plan');
    expect(plan?.tool).toBe('ExitPlanMode');
    expect(JSON.stringify(plan?.input)).toContain('Fix the bug');
  });

  it('an API 500 ends the agent failed with a readable error', async () => {
    api.enqueue({ status: 500 });
    const agentId = await spawnClaude('This will fail');
    await log.untilState(agentId, 'failed');
    const error = log.of(agentId).find((e) => e.event.kind === 'error')?.event;
    expect(error?.kind === 'error' && error.message).toMatch(/500|API Error/);
  });

  it('hands the spare process to the next agent and starts the one after when that turn ends', async () => {
    api.respondWith(() => say('Ready.'));
    // Earlier tests may have left a claim whose next spare has not started yet (it starts when
    // that agent's first turn ends, or after 3 s): wait for it, so this test starts with a spare.
    const count = (pattern: RegExp): number => worker.stderr().split(pattern).length - 1;
    await until(
      () => count(/starting the next spare process/) >= count(/claims the warm spare/),
      (check) => worker.proc.stderr!.on('data', check),
    );
    const from = worker.stderr().length;
    const logSince = (): string => worker.stderr().slice(from);
    for (const assignment of ['First', 'Second']) {
      const agentId = await spawnClaude(assignment);
      await log.untilIdle(agentId);
      await client.dismiss(agentId);
    }
    const lines = logSince()
      .split('\n')
      .filter((l) => /claims the warm spare|starts a fresh Claude|starting the next spare/.test(l));
    // Each agent claims a spare; the next starts only after the claiming agent's turn, so the
    // claim and the start alternate (never two starts, never a fresh process).
    expect(
      lines.map((l) => (l.includes('claims') ? 'claim' : l.includes('fresh') ? 'fresh' : 'next')),
    ).toEqual(['claim', 'next', 'claim', 'next']);
  });
});
