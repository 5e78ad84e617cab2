// The user's API key shared with a remote worker they opted in: it reaches that agent's
// engine (the real Claude Code CLI, against the fake API) and is written nowhere on the
// worker: not in its records, not in its journals, not in its log.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAttachUrl } from '../../extension/core/workers/attachUrl';
import { WorkerClient } from '../../extension/core/workers/workerClient';
import { offlineClaudeEnv, say, startFakeAnthropicApi } from '../fakeApi/fakeAnthropicApi';
import { EventLog } from '../helpers/agentEvents';
import { startWorker } from '../helpers/workerProcess';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('an API key shared with a worker', () => {
  it('reaches only that agent’s engine and is written nowhere on the worker', async () => {
    const api = await startFakeAnthropicApi();
    cleanups.push(() => api.close());
    api.respondWith(() => say('Hello from the shared key.'));
    const home = mkdtempSync(join(tmpdir(), 'tavern-key-home-'));
    const env: Record<string, string> = {
      ...offlineClaudeEnv(api.url, home),
      TAVERN_CLAUDE_PERSIST_SESSION: '0',
      TAVERN_CLAUDE_LOAD_SETTINGS: '0',
    };
    delete env.ANTHROPIC_API_KEY; // the worker has no credentials of its own
    const worker = await startWorker({ env: { ...env, ANTHROPIC_API_KEY: '' } });
    cleanups.push(() => worker.kill());
    const client = await new WorkerClient(parseAttachUrl(worker.attachUrl), {
      clientName: 'test',
      clientVersion: '0',
    }).connect();
    cleanups.push(() => client.dispose());
    const log = new EventLog(client);
    const key = 'sk-ant-shared-key-0123456789-never-written';
    const { agentId } = await client.spawn({
      name: 'Keyed',
      engine: 'claude',
      assignment: 'Say hello.',
      credentials: { anthropicApiKey: key },
    });
    await log.untilState(agentId, 'waiting');
    const keys = api.requests.map((r) => r.headers['x-api-key']).filter(Boolean);
    expect(keys.length).toBeGreaterThan(0);
    expect(new Set(keys)).toEqual(new Set([key]));
    await client.dismiss(agentId);
    let leaked = '';
    try {
      leaked = execFileSync('grep', ['-rl', key, worker.stateDir], { encoding: 'utf8' });
    } catch {
      // grep exits 1 when nothing matches: the key is nowhere in the state dir.
    }
    expect(leaked).toBe('');
    expect(worker.stderr()).not.toContain(key);
  });
});
