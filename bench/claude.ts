// claude: time from starting an agent to its first text, for the claude engine cold (no
// spare process) and warm (a pre-started spare), vs the bare Claude Agent SDK query() cold
// and pre-warmed with startup(), all in one run against the fake Anthropic API. A second warm
// baseline gives the bare SDK the engine's own options (Claude Code's preset system prompt, the
// tavern MCP server, canUseTool), so the ratio against it is the worker's overhead alone.
import { query, startup, type Options } from '@anthropic-ai/claude-agent-sdk';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { offlineClaudeEnv, say, startFakeAnthropicApi } from '../test/fakeApi/fakeAnthropicApi';
import { InputQueue } from '../runtime/engines/claude/inputQueue';
import { buildSdkOptions } from '../runtime/engines/claude/sdkOptions';
import type { EngineContext } from '../runtime/engines/engine';
import { benchClient, result, ROOT, round, startBenchWorker, summarize, table } from './lib';

const ROUNDS = Number(process.env.BENCH_CLAUDE_ROUNDS ?? 5);
const CLAUDE = resolve(ROOT, 'node_modules/@anthropic-ai/claude-agent-sdk-linux-x64/claude');
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const api = await startFakeAnthropicApi();
  api.respondWith(() => say('Hello from the fake model.'));
  const home = mkdtempSync(join(tmpdir(), 'tavern-bench-claude-'));
  const env = {
    ...offlineClaudeEnv(api.url, home),
    TAVERN_CLAUDE_PERSIST_SESSION: '0',
    TAVERN_CLAUDE_LOAD_SETTINGS: '0',
    TAVERN_CLAUDE_PATH: CLAUDE,
  };
  const cwd = mkdtempSync(join(tmpdir(), 'tavern-bench-cwd-'));
  const bareOptions = (): Options => ({
    cwd,
    includePartialMessages: true,
    persistSession: false,
    settingSources: [],
    pathToClaudeCodeExecutable: CLAUDE,
    env: { ...process.env, ...env },
  });

  async function firstText(
    q: AsyncIterable<{ type: string; event?: unknown }>,
    t0: number,
    onResult?: () => void,
  ): Promise<number> {
    let at = NaN;
    for await (const m of q) {
      if (m.type === 'result') onResult?.();
      const delta = (m.event as { delta?: { type?: string } } | undefined)?.delta;
      if (Number.isNaN(at) && m.type === 'stream_event' && delta?.type === 'text_delta')
        at = performance.now() - t0;
    }
    return at;
  }

  // What the engine passes for an agent, with callbacks that do nothing.
  const engineCtx: EngineContext = {
    agentId: 'bare',
    name: 'bare',
    cwd,
    model: undefined,
    permissionMode: 'default',
    systemPrompt: undefined,
    resumeSessionId: undefined,
    role: 'agent',
    projectSettings: false,
    env: {},
    tools: [],
    emit: () => undefined,
    requestPermission: () => Promise.resolve({ decision: 'allow' }),
    report: () => undefined,
    setSessionId: () => undefined,
    log: () => undefined,
  };
  const sameOptions = (): Options => ({
    ...buildSdkOptions(
      engineCtx,
      (_name, input) => Promise.resolve({ behavior: 'allow', updatedInput: input }),
      { executable: CLAUDE, persistSession: false, loadSettings: false },
      undefined,
    ),
    env: { ...process.env, ...env },
  });

  const bareCold: number[] = [];
  const bareWarm: number[] = [];
  const bareWarmSame: number[] = [];
  const bareWarmStreamed: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    let t0 = performance.now();
    bareCold.push(await firstText(query({ prompt: 'hi', options: bareOptions() }), t0));
    const warm = await startup({ options: bareOptions() });
    await settle(500);
    t0 = performance.now();
    bareWarm.push(await firstText(warm.query('hi'), t0));
    const warmSame = await startup({ options: sameOptions() });
    await settle(500);
    t0 = performance.now();
    bareWarmSame.push(await firstText(warmSame.query('hi'), t0));
    // The same, with the prompt as a streaming input that stays open, as the engine sends it.
    const warmStreamed = await startup({ options: sameOptions() });
    await settle(500);
    const input = new InputQueue();
    t0 = performance.now();
    const streamed = warmStreamed.query(input);
    input.push('hi');
    bareWarmStreamed.push(await firstText(streamed, t0, () => input.end()));
  }

  async function ours(prewarm: boolean): Promise<number[]> {
    const worker = await startBenchWorker(['--workdir', cwd], {
      ...env,
      TAVERN_CLAUDE_PREWARM: prewarm ? '1' : '0',
    });
    const client = await benchClient(worker.url).connect();
    const samples: number[] = [];
    for (let i = 0; i < ROUNDS + 1; i++) {
      await settle(prewarm ? Number(process.env.BENCH_CLAUDE_SETTLE_MS ?? 2500) : 200); // let the next spare finish starting
      const t0 = performance.now();
      const agentId = `bench-${prewarm ? 'w' : 'c'}-${i}`;
      const first = new Promise<number>((done) => {
        const sub = client.onEvents((batch) => {
          if (batch.some((e) => e.agentId === agentId && e.event.kind === 'text')) {
            sub.dispose();
            done(performance.now() - t0);
          }
        });
      });
      const finished = new Promise<void>((done) => {
        const sub = client.onEvents((batch) => {
          const waiting = batch.some(
            (e) => e.agentId === agentId && e.event.kind === 'state' && e.event.state === 'waiting',
          );
          if (waiting) {
            sub.dispose();
            done();
          }
        });
      });
      await client.spawn({ agentId, name: agentId, engine: 'claude', assignment: 'hi' });
      const ms = await first;
      await finished;
      await client.dismiss(agentId);
      if (i > 0) samples.push(ms); // the first agent pays for the worker's own start-up
    }
    client.dispose();
    await worker.kill();
    return samples;
  }
  const oursCold = await ours(false);
  const oursWarm = await ours(true);
  await api.close();

  const rows = [
    { path: 'bare SDK query(), cold', ...summarize(bareCold) },
    { path: 'bare SDK startup() pre-warmed', ...summarize(bareWarm) },
    { path: "bare SDK startup(), the engine's options", ...summarize(bareWarmSame) },
    { path: "bare SDK startup(), engine's options + input", ...summarize(bareWarmStreamed) },
    { path: 'claude engine via worker, cold', ...summarize(oursCold) },
    { path: 'claude engine via worker, warm spare', ...summarize(oursWarm) },
  ];
  table(`claude: start -> first text delta, ${ROUNDS} rounds each (ms)`, rows);
  const ratioWarm = round(summarize(oursWarm).p50 / summarize(bareWarm).p50, 2);
  const ratioCold = round(summarize(oursCold).p50 / summarize(bareCold).p50, 2);
  const ratioWarmSame = round(summarize(oursWarm).p50 / summarize(bareWarmSame).p50, 2);
  console.log(
    `warm ratio (p50) ${ratioWarm}x bare warm (goal <= 1.2x); ${ratioWarmSame}x bare warm with the engine's options; cold ratio ${ratioCold}x bare cold`,
  );
  result('claude', {
    bareColdMs: summarize(bareCold),
    bareWarmMs: summarize(bareWarm),
    bareWarmSameOptionsMs: summarize(bareWarmSame),
    bareWarmStreamedInputMs: summarize(bareWarmStreamed),
    oursColdMs: summarize(oursCold),
    oursWarmMs: summarize(oursWarm),
    ratioWarmP50: ratioWarm,
    ratioWarmSameOptionsP50: ratioWarmSame,
    ratioColdP50: ratioCold,
    goal: 'warm <= 1.2x bare warm',
  });
}

void main();
