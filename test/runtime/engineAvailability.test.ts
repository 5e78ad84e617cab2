// hello lists what is really usable on a worker, and why the rest is not; spawning an
// unusable engine is a clear error.
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors';
import { parseAttachUrl } from '../../extension/core/workers/attachUrl';
import { WorkerClient } from '../../extension/core/workers/workerClient';
import { startWorker, type RunningWorker } from '../helpers/workerProcess';

let worker: RunningWorker | undefined;
let client: WorkerClient | undefined;
afterEach(async () => {
  client?.dispose();
  await worker?.kill();
});

describe('engine availability', () => {
  it('explains a missing Claude Code executable and a missing API key', async () => {
    worker = await startWorker({
      args: ['--claude-path', '/nonexistent/claude'],
      env: { ANTHROPIC_API_KEY: '' },
    });
    client = new WorkerClient(parseAttachUrl(worker.attachUrl), {
      clientName: 'test',
      clientVersion: '0',
    });
    const c = await client.connect();
    const engines = Object.fromEntries(c.hello.engines.map((e) => [e.name, e]));
    expect(engines.scripted).toMatchObject({ available: true, ready: true });
    expect(engines.claude).toMatchObject({ available: false, ready: false });
    expect(engines.claude?.reason).toMatch(
      /\/nonexistent\/claude does not exist.*npm i -g @anthropic-ai\/claude-code/,
    );
    expect(engines.anthropic).toMatchObject({ available: false, ready: false });
    expect(engines.anthropic?.reason).toMatch(/ANTHROPIC_API_KEY is not set/);

    const error = await c.spawn({ name: 'Nope', engine: 'claude' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.EngineUnavailable });
    expect((error as Error).message).toMatch(/The claude engine is not usable on worker/);
  });
});
