// Jake on the scripted engine, over a real coordinator and a real worker process.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentEventEnvelope } from '../../protocol/agentEvents';
import { ScriptedEngine } from '../../runtime/engines/scripted';
import { Coordinator } from '../../extension/core/coordinator/coordinator';
import { Jake } from '../../extension/core/jake/jake';
import { WorkerPool } from '../../extension/core/workers/workerPool';
import { startWorker } from '../helpers/workerProcess';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(folder = mkdtempSync(join(tmpdir(), 'tavern-jake-'))) {
  const worker = await startWorker();
  cleanups.push(() => worker.kill());
  const pool = new WorkerPool({ clientName: 'test', clientVersion: '0' });
  cleanups.push(() => pool.dispose());
  const coordinator = new Coordinator({
    folder,
    pool,
    defaultEngine: 'scripted',
    noWorkerFits: 'fail',
    log: () => undefined,
  });
  cleanups.push(() => coordinator.dispose());
  await pool.attach(worker.attachUrl);
  const jake = new Jake({
    folder,
    coordinator,
    pool,
    engine: new ScriptedEngine(),
    log: () => undefined,
  });
  cleanups.push(() => jake.dispose());
  const events: AgentEventEnvelope[] = [];
  jake.onEvents((batch) => events.push(...batch));
  const until = (test: () => boolean): Promise<void> =>
    test() ? Promise.resolve() : new Promise((resolve) => jake.onEvents(() => test() && resolve()));
  return { folder, worker, pool, coordinator, jake, events, until };
}

const toolResults = (events: AgentEventEnvelope[]): string[] =>
  events.flatMap((e) => (e.event.kind === 'tool_result' ? [e.event.content] : []));
const fromTavern = (events: AgentEventEnvelope[]): string[] =>
  events.flatMap((e) =>
    e.event.kind === 'user' && e.event.from === 'tavern' ? [e.event.text] : [],
  );

describe('Jake', () => {
  it('summons an agent that starts at once, and is told when it reports done', async () => {
    const { jake, events, until, coordinator } = await setup();
    jake.send(
      'Please dust the shelves. [[tool summon_agent {"assignment": "[[done dusted all the shelves]]"}]]',
    );
    // The agent may finish before the tool call returns: wait for both.
    await until(() => fromTavern(events).length > 0 && toolResults(events).length > 0);
    expect(toolResults(events)[0]).toMatch(
      /^Summoned Frodo \(id .+\) on worker .+ with the scripted engine\. It is working on its assignment now\.$/,
    );
    expect(fromTavern(events)[0]).toMatch(/Frodo \(.+\) reported done: dusted all the shelves/);
    // The report comes a few events before the agent's `done` state.
    await new Promise<void>((resolve) => {
      if (coordinator.find('Frodo')?.state === 'done') return resolve();
      coordinator.onAgentChanged(() => coordinator.find('Frodo')?.state === 'done' && resolve());
    });
  });

  it('batches reports that arrive together into one message', async () => {
    const { jake, events, until } = await setup();
    // One turn that reports twice without pausing: the worker commits both reports in one
    // tick and sends them in one agent/events batch, so the coordinator hands both to Jake
    // in the same turn of the event loop.
    jake.send('[[tool summon_agent {"assignment": "[[blocked first]] [[done second]]"}]]');
    await until(() => fromTavern(events).length > 0);
    // The first message Jake is told already carries both reports, in the order they came.
    const [told] = fromTavern(events);
    expect(told).toMatch(/reported blocked: first\n- .*reported done: second$/);
  });

  it('answers tool misuse with plain, specific errors', async () => {
    const { jake, events, until } = await setup();
    jake.send(
      '[[tool message_agent {"agent": "Ghost", "text": "hello?"}]] [[tool list_agents {}]] [[tool list_workers {}]]',
    );
    await until(() => toolResults(events).length === 3);
    const [message, agents, workers] = toolResults(events);
    expect(message).toMatch(/No agent "Ghost" in this project\. Agents: none\./);
    expect(agents).toBe('No agents in this project.');
    expect(workers).toMatch(
      /connected; agents 0\/16; engines scripted, claude.*anthropic \(unavailable\)|connected; agents 0\/16; engines scripted/,
    );
  });

  it('keeps his session id and transcript across a new Tavern core on the same folder', async () => {
    const first = await setup();
    first.jake.send('Hello, Jake.');
    await first.until(() =>
      first.events.some((e) => e.event.kind === 'state' && e.event.state === 'waiting'),
    );
    const sessionId = first.jake.sessionId;
    const lastSeq = first.events.at(-1)!.seq;
    expect(sessionId).toBeTruthy();
    for (const c of cleanups.splice(0).reverse()) await c();

    const second = await setup(first.folder);
    expect(second.jake.sessionId).toBe(sessionId);
    second.jake.send('Back again.');
    await second.until(() => second.events.some((e) => e.event.kind === 'state'));
    expect(second.events[0]!.seq).toBe(lastSeq + 1); // his transcript continues, no seq reused
    const stored = await second.jake.transcript({ limit: 100 });
    expect(stored.some((e) => e.event.kind === 'user' && e.event.text === 'Hello, Jake.')).toBe(
      true,
    );
  });
});
