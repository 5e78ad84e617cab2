// Jake on the REAL claude engine (Claude Agent SDK + Claude Code, offline against the fake
// API): the model calls his in-process summon_agent tool, an agent runs on a real worker,
// and its report comes back to Jake.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEventEnvelope } from '../../protocol/agentEvents';
import { ClaudeEngine } from '../../runtime/engines/claude/claudeEngine';
import { createLogger } from '../../runtime/log';
import { Coordinator } from '../../extension/core/coordinator/coordinator';
import { Jake } from '../../extension/core/jake/jake';
import { WorkerPool } from '../../extension/core/workers/workerPool';
import { startWorker, type RunningWorker } from '../helpers/workerProcess';
import {
  callTool,
  offlineClaudeEnv,
  say,
  startFakeAnthropicApi,
  type FakeAnthropicApi,
} from '../fakeApi/fakeAnthropicApi';

let api: FakeAnthropicApi;
let workers: RunningWorker[];
let pool: WorkerPool;
let coordinator: Coordinator;
let jake: Jake;
const events: AgentEventEnvelope[] = [];

beforeAll(async () => {
  api = await startFakeAnthropicApi();
  Object.assign(
    process.env,
    offlineClaudeEnv(api.url, mkdtempSync(join(tmpdir(), 'tavern-jake-home-'))),
  );
  workers = await Promise.all([
    startWorker({ args: ['--name', 'local'] }),
    startWorker({ args: ['--name', 'remote'] }),
  ]);
  pool = new WorkerPool({ clientName: 'test', clientVersion: '0' });
  const folder = mkdtempSync(join(tmpdir(), 'tavern-jake-claude-'));
  coordinator = new Coordinator({
    folder,
    pool,
    defaultEngine: 'scripted',
    noWorkerFits: 'fail',
    log: () => undefined,
  });
  for (const w of workers) await pool.attach(w.attachUrl);
  const engine = new ClaudeEngine({
    claudePath: undefined,
    log: createLogger('error', () => undefined),
    persistSession: false,
    loadSettings: false,
    prewarm: false,
  });
  jake = new Jake({ folder, coordinator, pool, engine, log: () => undefined });
  jake.onEvents((batch) => events.push(...batch));
});
afterAll(async () => {
  await jake.dispose();
  await coordinator.dispose();
  pool.dispose();
  await Promise.all(workers.map((w) => w.kill()));
  await api.close();
});

describe('Jake on the claude engine', () => {
  it('summons two agents on two workers through his MCP tool and hears their reports', async () => {
    api.respondWith((body) => {
      const transcript = JSON.stringify(body.messages ?? []);
      const both =
        transcript.includes('reported done: polished the bar') &&
        transcript.includes('reported done: counted 12 kegs');
      if (both)
        return say(
          '*rings the bell* BOTH jobs are DONE: the bar is polished and the kegs are counted.',
        );
      if (transcript.includes('Squad reports'))
        return say('One of two back already (a RECORD, probably).');
      const summoned = (transcript.match(/Summoned /g) ?? []).length;
      if (summoned === 0)
        return callTool('mcp__tavern__summon_agent', {
          assignment: '[[wait 200]] [[done polished the bar]]',
          worker: 'local',
        });
      if (summoned === 1)
        return callTool('mcp__tavern__summon_agent', {
          assignment: '[[wait 200]] [[done counted 12 kegs]]',
          worker: 'remote',
        });
      return say('Two of my finest are on it.');
    });
    const told = new Promise<void>((resolve) =>
      jake.onEvents((batch) => {
        if (batch.some((e) => e.event.kind === 'text' && e.event.text.includes('DONE'))) resolve();
      }),
    );
    jake.send('Polish the bar and count the kegs, please.');
    await told;
    const results = events.flatMap((e) =>
      e.event.kind === 'tool_result' ? [e.event.content] : [],
    );
    expect(results).toHaveLength(2);
    expect(results[0]).toMatch(/^Summoned Frodo .* on worker local/);
    expect(results[1]).toMatch(/^Summoned Sam .* on worker remote/);
    const reports = events
      .flatMap((e) => (e.event.kind === 'user' && e.event.from === 'tavern' ? [e.event.text] : []))
      .join('\n');
    expect(reports).toContain('reported done: polished the bar');
    expect(reports).toContain('reported done: counted 12 kegs');
    expect(jake.sessionId).toBeTruthy();
  });
});
