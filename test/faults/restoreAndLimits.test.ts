// What a worker restored after kill -9 looks like (every state mapped, idle stays idle),
// capacity after a restart, dismissed agents leaving the live set until their retention
// ends, records that stay small, the right token after many wrong ones, and file modes.
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerClient } from '../../extension/core/workers/workerClient';
import { ErrorCode } from '../../protocol/errors';
import { upgradeStatus } from '../helpers/rawRpc';
import { followingClient, journalOf, Ledger, nextHello, RestartableWorker } from './faultHelpers';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function started(args: string[] = []): Promise<{
  worker: RestartableWorker;
  client: WorkerClient;
  ledger: Ledger;
}> {
  const worker = new RestartableWorker(args);
  cleanups.push(() => worker.kill());
  await worker.start();
  const client = followingClient(worker.current!.attachUrl);
  cleanups.push(() => client.dispose());
  const ledger = new Ledger(client);
  await client.connect();
  return { worker, client, ledger };
}

async function restart(
  worker: RestartableWorker,
  client: WorkerClient,
  args: string[] = [],
): Promise<void> {
  const back = nextHello(client);
  await worker.kill();
  await worker.start(args);
  await back;
}

function stateOf(ledger: Ledger, agentId: string): { state?: string; reason?: string } {
  const event = ledger.byAgent.get(agentId)?.findLast((e) => e.event.kind === 'state')?.event;
  return event?.kind === 'state' ? { state: event.state, reason: event.reason } : {};
}

describe('restore after kill -9', () => {
  it('maps every state: idle agents stay as they were, cut-off ones are interrupted with their permission requests denied', async () => {
    const { worker, client, ledger } = await started();
    const spawn = async (name: string, assignment?: string): Promise<string> =>
      (await client.spawn({ name, engine: 'scripted', ...(assignment ? { assignment } : {}) }))
        .agentId;
    const idle = await spawn('Idle');
    const asking = await spawn('Asking', '[[ask which one?]]');
    const done = await spawn('Done', '[[done ok]]');
    const failed = await spawn('Failed', '[[fail boom]]');
    const working = await spawn('Working', '[[stream 10 5]] [[wait 60000]]');
    const permission = await spawn('Permission', '[[permission Write]]');
    await ledger.until(
      () =>
        stateOf(ledger, asking).state === 'waiting' &&
        stateOf(ledger, done).state === 'done' &&
        stateOf(ledger, failed).state === 'failed' &&
        stateOf(ledger, working).state === 'working' &&
        stateOf(ledger, permission).reason === 'permission',
      'every agent in its state',
    );
    await restart(worker, client);
    const states = new Map(client.hello!.agents.map((a) => [a.agentId, [a.state, a.stateReason]]));
    expect(states.get(idle)).toEqual(['summoned', undefined]);
    expect(states.get(asking)).toEqual(['waiting', 'input']);
    expect(states.get(done)).toEqual(['done', 'ok']);
    expect(states.get(failed)).toEqual(['failed', 'boom']);
    expect(states.get(working)).toEqual(['interrupted', 'worker restarted']);
    expect(states.get(permission)).toEqual(['interrupted', 'worker restarted']);
    // Those states are the restored agents' own; their events follow once written.
    await ledger.until(() => stateOf(ledger, permission).state === 'interrupted', 'the restore');
    const asked = (await journalOf(client, permission)).filter(
      (e) => e.event.kind === 'permission',
    );
    expect(asked.map((e) => (e.event as { status: string }).status)).toEqual(['pending', 'denied']);
    // Idle agents take work again after the restart.
    await client.send({ agentId: idle, text: '[[done woke up]]' });
    await ledger.until(() => stateOf(ledger, idle).state === 'done', 'the idle agent to work');
    expect(ledger.problems).toEqual([]);
  });

  it('capacity: restored agents count again once they take work', async () => {
    const { worker, client } = await started(['--max-agents', '2']);
    const a = (await client.spawn({ name: 'A', engine: 'scripted', assignment: '[[wait 60000]]' }))
      .agentId;
    await client.spawn({ name: 'B', engine: 'scripted', assignment: '[[wait 60000]]' });
    await restart(worker, client);
    expect(client.hello!.agents.map((x) => x.state)).toEqual(['interrupted', 'interrupted']);
    const c = (await client.spawn({ name: 'C', engine: 'scripted', assignment: '[[wait 60000]]' }))
      .agentId;
    await client.spawn({ name: 'D', engine: 'scripted', assignment: '[[wait 60000]]' });
    await expect(client.spawn({ name: 'E', engine: 'scripted' })).rejects.toMatchObject({
      code: ErrorCode.Capacity,
    });
    await expect(client.send({ agentId: a, text: '[[wait 60000]]' })).rejects.toMatchObject({
      code: ErrorCode.Capacity,
      message: expect.stringMatching(/full: 2 of 2 agents running/),
    });
    await client.dismiss(c);
    await client.send({ agentId: a, text: '[[wait 60000]]' });
    await expect(client.spawn({ name: 'F', engine: 'scripted' })).rejects.toMatchObject({
      code: ErrorCode.Capacity,
    });
  });

  it('dismissed agents leave the live set, stay replayable, and are pruned after --retention-days', async () => {
    const { worker, client } = await started();
    const { agentId } = await client.spawn({
      name: 'Gone',
      engine: 'scripted',
      assignment: '[[done ok]]',
    });
    const kept = (await client.spawn({ name: 'Kept', engine: 'scripted' })).agentId;
    await client.dismiss(agentId);
    expect((await client.list()).agents.map((a) => a.agentId)).toEqual([kept]);
    expect((await journalOf(client, agentId)).at(-1)?.event).toMatchObject({ state: 'dismissed' });
    await expect(client.send({ agentId, text: 'hello?' })).rejects.toMatchObject({
      code: ErrorCode.IllegalState,
    });
    await expect(
      client.spawn({ agentId, name: 'Again', engine: 'scripted' }),
    ).rejects.toMatchObject({
      code: ErrorCode.InvalidParams,
    });
    await restart(worker, client);
    expect(client.hello!.agents.map((a) => a.agentId)).toEqual([kept]);
    expect((await journalOf(client, agentId)).length).toBeGreaterThan(3);
    await restart(worker, client, ['--retention-days', '0']);
    expect(worker.current!.stderr()).toMatch(/pruned 1 dismissed agent/);
    await expect(journalOf(client, agentId)).rejects.toMatchObject({
      code: ErrorCode.UnknownAgent,
    });
    expect(readdirSync(join(worker.stateDir, 'journal')).some((n) => n.startsWith(agentId))).toBe(
      false,
    );
  });

  it('records are written per agent and stay small: 30 spawn/dismiss cycles with 1 MB assignments', async () => {
    const { worker, client, ledger } = await started();
    const big = 'x'.repeat(999_000);
    const kept = (await client.spawn({ name: 'Kept', engine: 'scripted' })).agentId;
    for (let i = 0; i < 30; i++) {
      const { agentId } = await client.spawn({
        name: `Big${i}`,
        engine: 'scripted',
        assignment: `${big} [[done ok]]`,
      });
      await ledger.until(() => stateOf(ledger, agentId).state === 'done', `agent ${i}`);
      await client.dismiss(agentId);
    }
    const dir = join(worker.stateDir, 'agents');
    const recordBytes = readdirSync(dir).reduce((sum, n) => sum + statSync(join(dir, n)).size, 0);
    const listBytes = JSON.stringify(await client.list()).length;
    console.log(
      `30 spawn/dismiss cycles with 1 MB assignments: agents/ holds ${readdirSync(dir).length} records, ${recordBytes} bytes; agent/list answers ${listBytes} bytes (was a 34 MB agents.json, a 28.7 MB list)`,
    );
    expect((await client.list()).agents.map((a) => a.agentId)).toEqual([kept]);
    expect(recordBytes).toBeLessThan(100_000);
    expect(listBytes).toBeLessThan(5_000);
  });
});

describe('the rightful client and file modes', () => {
  it('a correct token gets in after many wrong ones from the same address, in parallel', async () => {
    const { worker } = await started();
    const w = worker.current!;
    const wrong = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        upgradeStatus(w.baseUrl, { Authorization: `Bearer wrong-${i}-0123456789` }),
      ),
    );
    expect(wrong.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    expect(wrong.every((r) => r.status === 401 || r.status === 429)).toBe(true);
    expect((await upgradeStatus(w.baseUrl, { Authorization: `Bearer ${w.token}` })).status).toBe(
      101,
    );
    const logLines = w.stderr().match(/refused connection from/g)?.length ?? 0;
    console.log(
      `40 wrong tokens: ${wrong.filter((r) => r.status === 429).length} answered 429, ${logLines} log line(s); the right token: 101`,
    );
    expect(logLines).toBeLessThanOrEqual(2);
  });

  it('state dir 0700 and files 0600; looser modes found at start are tightened with a warning', async () => {
    const { worker, client } = await started();
    await client.spawn({
      name: 'Private',
      engine: 'scripted',
      assignment: '[[done secret plans]]',
    });
    await client.list();
    const modes = (): Map<string, string> => {
      const out = new Map<string, string>();
      const walk = (dir: string): void => {
        out.set(dir, (statSync(dir).mode & 0o777).toString(8));
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          if (statSync(path).isDirectory()) walk(path);
          else out.set(path, (statSync(path).mode & 0o777).toString(8));
        }
      };
      walk(worker.stateDir);
      return out;
    };
    await worker.stop();
    for (const [path, mode] of modes())
      expect(`${path} ${mode}`).toBe(`${path} ${statSync(path).isDirectory() ? '700' : '600'}`);
    // Someone loosens everything; the next start tightens it and says so.
    for (const path of modes().keys())
      chmodSync(path, statSync(path).isDirectory() ? 0o777 : 0o644);
    await worker.start();
    const again = followingClient(worker.current!.attachUrl);
    cleanups.push(() => again.dispose());
    await again.connect();
    for (const [path, mode] of modes())
      expect(`${path} ${mode}`).toBe(`${path} ${statSync(path).isDirectory() ? '700' : '600'}`);
    expect(worker.current!.stderr()).toMatch(/readable by other users; tightened/);
    expect(again.hello!.notices?.map((n) => n.message).join('\n')).toMatch(/was 777/);
    expect(readFileSync(join(worker.stateDir, 'worker-id'), 'utf8').trim()).not.toBe('');
  });
});
