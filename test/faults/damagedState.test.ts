// A damaged state dir never stops a worker from starting: records that cannot be read are
// reported (log and hello notices) and moved aside, never overwritten; torn journals are cut
// back to their last complete line; a lost journal (deleted, or its tail gone with a power
// cut) continues above every seq ever handed out, with a notice saying so.
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerClient } from '../../extension/core/workers/workerClient';
import type { WorkerNotice } from '../../protocol/wire';
import { followingClient, journalOf, Ledger, nextHello, RestartableWorker } from './faultHelpers';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function connected(
  worker: RestartableWorker,
): Promise<{ client: WorkerClient; ledger: Ledger }> {
  const client = followingClient(worker.current!.attachUrl);
  cleanups.push(() => client.dispose());
  const ledger = new Ledger(client);
  await client.connect();
  return { client, ledger };
}

function lastState(ledger: Ledger, agentId: string): string | undefined {
  const event = ledger.byAgent.get(agentId)?.findLast((e) => e.event.kind === 'state')?.event;
  return event?.kind === 'state' ? event.state : undefined;
}

/** A state dir with two agents, one done and one waiting for input, left by a kill -9. */
async function populated(stop: 'kill' | 'term' = 'kill'): Promise<{
  worker: RestartableWorker;
  done: string;
  asking: string;
}> {
  const worker = new RestartableWorker();
  cleanups.push(() => worker.kill());
  await worker.start();
  const { client, ledger } = await connected(worker);
  const done = (
    await client.spawn({
      name: 'Done',
      engine: 'scripted',
      assignment: '[[stream 20 5]] [[done ok]]',
    })
  ).agentId;
  const asking = (
    await client.spawn({
      name: 'Asker',
      engine: 'scripted',
      assignment: '[[stream 20 5]] [[ask which?]]',
    })
  ).agentId;
  await ledger.until(
    () => lastState(ledger, done) === 'done' && lastState(ledger, asking) === 'waiting',
    'both idle',
  );
  client.dispose();
  if (stop === 'kill') await worker.kill();
  else await worker.stop();
  return { worker, done, asking };
}

/** The same state dir, copied, under a new worker identity. */
function copyOf(worker: RestartableWorker): RestartableWorker {
  const dir = mkdtempSync(join(tmpdir(), 'tavern-fault-copy-'));
  cpSync(worker.stateDir, dir, { recursive: true });
  const copy = new RestartableWorker([], dir);
  cleanups.push(() => copy.kill());
  return copy;
}

function hasNotice(ledger: Ledger, agentId: string): boolean {
  return ledger.byAgent.get(agentId)?.some((e) => e.event.kind === 'notice') === true;
}

function noticesOf(client: WorkerClient): WorkerNotice[] {
  return client.hello?.notices ?? [];
}

function journalFile(worker: RestartableWorker, agentId: string): string {
  return join(worker.stateDir, 'journal', `${encodeURIComponent(agentId)}.jsonl`);
}

describe('a damaged state dir', () => {
  it('agents.json of the wrong shape, not JSON or with bad records: starts, reports, keeps the file aside', async () => {
    const { worker, done, asking } = await populated();
    // What an older worker wrote: every record in one agents.json.
    const records = readdirSync(join(worker.stateDir, 'agents'))
      .filter((name) => name.endsWith('.json'))
      .map(
        (name) =>
          JSON.parse(readFileSync(join(worker.stateDir, 'agents', name), 'utf8')) as Record<
            string,
            unknown
          >,
      );
    const good = records.find((r) => (r.spec as { agentId: string }).agentId === done)!;
    const bad = {
      ...records.find((r) => (r.spec as { agentId: string }).agentId === asking)!,
      state: 'sleeping',
    };
    const variants: { content: string; restored: string[]; aside: RegExp; says: RegExp }[] = [
      {
        content: '{"hello":1}',
        restored: [],
        aside: /agents\.json\.unreadable-/,
        says: /not a list of records/,
      },
      {
        content: '[null]',
        restored: [],
        aside: /agents\.json\.imported-/,
        says: /1 of 1 record\(s\) were unreadable/,
      },
      {
        content: JSON.stringify([good, bad]),
        restored: [done],
        aside: /agents\.json\.imported-/,
        says: /#1 \(state: /,
      },
      {
        content: '[{"spec": {"agentId": "x"',
        restored: [],
        aside: /agents\.json\.unreadable-/,
        says: /not JSON/,
      },
      { content: '', restored: [], aside: /agents\.json\.unreadable-/, says: /not JSON/ },
    ];
    for (const variant of variants) {
      const copy = copyOf(worker);
      rmSync(join(copy.stateDir, 'agents'), { recursive: true });
      writeFileSync(join(copy.stateDir, 'agents.json'), variant.content);
      await copy.start();
      const { client } = await connected(copy);
      expect(client.hello!.agents.map((a) => a.agentId)).toEqual(variant.restored);
      expect(
        noticesOf(client)
          .map((n) => n.message)
          .join('\n'),
      ).toMatch(variant.says);
      expect(copy.current!.stderr()).toMatch(variant.says);
      // Moved aside, byte for byte; nothing is written over it.
      expect(existsSync(join(copy.stateDir, 'agents.json'))).toBe(false);
      const aside = readdirSync(copy.stateDir).find((name) => variant.aside.test(name));
      expect(aside).toBeDefined();
      expect(readFileSync(join(copy.stateDir, aside!), 'utf8')).toBe(variant.content);
      // The journals of agents not restored stay replayable.
      expect((await journalOf(client, asking)).length).toBeGreaterThan(20);
      client.dispose();
      await copy.kill();
    }
  });

  it('an unreadable agent record is moved aside; the other agents and its journal stay', async () => {
    const { worker, done, asking } = await populated();
    const file = join(worker.stateDir, 'agents', `${encodeURIComponent(done)}.json`);
    writeFileSync(file, '{"spec": garbage');
    await worker.start();
    const { client } = await connected(worker);
    expect(client.hello!.agents.map((a) => a.agentId)).toEqual([asking]);
    expect(
      noticesOf(client)
        .map((n) => n.message)
        .join('\n'),
    ).toMatch(new RegExp(`Agent record .*${done}.* is unreadable.*moved to`));
    expect(
      readdirSync(join(worker.stateDir, 'agents')).some((n) => n.includes('.unreadable-')),
    ).toBe(true);
    const journal = await journalOf(client, done);
    expect(journal.at(-1)?.event).toMatchObject({ kind: 'state', state: 'done' });
  });

  it('a journal cut mid-line is repaired at restore; the next crash loses nothing', async () => {
    const { worker, asking } = await populated();
    const file = journalFile(worker, asking);
    const lastFull = readFileSync(file, 'utf8').trimEnd().split('\n').length;
    appendFileSync(file, `{"agentId":"${asking}","seq":${lastFull + 1},"time":1,"ev`);
    await worker.start();
    const { client, ledger } = await connected(worker);
    expect(worker.current!.stderr()).toMatch(/cut an incomplete last line/);
    expect(
      noticesOf(client)
        .map((n) => n.message)
        .join('\n'),
    ).toMatch(/cut an incomplete last line/);
    expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true);
    await client.send({ agentId: asking, text: '[[stream 30 5]] [[ask again?]]' });
    await ledger.until(
      () => (ledger.byAgent.get(asking)?.filter((e) => e.event.kind === 'report').length ?? 0) >= 2,
      'the second answer',
    );
    const back = nextHello(client);
    await worker.kill();
    await worker.start();
    await back;
    const seqs = (await journalOf(client, asking)).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(ledger.problems).toEqual([]);
  });

  it('a deleted journal continues above the high-water mark with a notice; no seq a client saw is reused', async () => {
    const worker = new RestartableWorker();
    cleanups.push(() => worker.kill());
    await worker.start();
    const { client, ledger } = await connected(worker);
    const { agentId } = await client.spawn({
      name: 'Lost',
      engine: 'scripted',
      assignment: '[[stream 3000 10]] [[ask more?]]',
    });
    await ledger.until(() => lastState(ledger, agentId) === 'waiting', 'the stream to end');
    const saw = ledger.lastSeq(agentId);
    const back = nextHello(client);
    await worker.kill();
    rmSync(journalFile(worker, agentId));
    await worker.start();
    await back;
    await ledger.until(() => ledger.lastSeq(agentId) > saw, 'the notice');
    const after = ledger.byAgent.get(agentId)!.filter((e) => e.seq > saw);
    expect(after[0]?.event).toMatchObject({ kind: 'notice', code: 'journal_lost' });
    expect(after[0]!.seq).toBeGreaterThan(saw);
    expect(ledger.problems).toEqual([]);
    console.log(
      `deleted journal: the client had seq ${saw}; the journal continues at ${after[0]!.seq} with: ${(after[0]!.event as { message: string }).message}`,
    );
    await client.send({ agentId, text: '[[stream 5 5]] [[ask again?]]' });
    await ledger.until(
      () => lastState(ledger, agentId) === 'waiting' && ledger.lastSeq(agentId) > after[0]!.seq + 5,
      'more work',
    );
    expect(ledger.problems).toEqual([]);
  });

  it('after a crash across a machine restart (power cut), seqs continue above the mark', async () => {
    const { worker, asking } = await populated();
    const bootFile = join(worker.stateDir, 'journal', 'boot.json');
    const boot = JSON.parse(readFileSync(bootFile, 'utf8')) as Record<string, unknown>;
    expect(boot.clean).toBe(false);
    // What the next boot looks like to the worker: another boot id, an older boot time.
    writeFileSync(bootFile, JSON.stringify({ ...boot, bootId: 'a-previous-boot', bootTime: 0 }));
    const before = readFileSync(journalFile(worker, asking), 'utf8').trimEnd().split('\n').length;
    await worker.start();
    const { client, ledger } = await connected(worker);
    expect(
      noticesOf(client)
        .map((n) => n.message)
        .join('\n'),
    ).toMatch(/did not stop cleanly before the machine restarted/);
    // The notice is published once written (its seq is above the mark: a synced mark first).
    await ledger.until(() => hasNotice(ledger, asking), 'the notice');
    const journal = await journalOf(client, asking);
    const notice = journal.find((e) => e.event.kind === 'notice');
    expect(notice?.event).toMatchObject({ code: 'journal_lost' });
    expect(notice!.seq).toBeGreaterThan(before + 1);
  });

  it('after a clean stop, a journal that lost its tail continues above the last seq it had', async () => {
    const { worker, done } = await populated('term');
    const file = journalFile(worker, done);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    writeFileSync(file, lines.slice(0, -3).join('\n') + '\n');
    await worker.start();
    const { client, ledger } = await connected(worker);
    await ledger.until(() => hasNotice(ledger, done), 'the notice');
    const journal = await journalOf(client, done);
    const notice = journal.find((e) => e.event.kind === 'notice');
    expect(notice?.event).toMatchObject({ code: 'journal_lost' });
    expect((notice?.event as { message: string }).message).toMatch(
      new RegExp(`ends at seq ${lines.length - 3} but held seq ${lines.length}`),
    );
    expect(notice!.seq).toBe(lines.length + 1);
  });

  it('an unreadable high-water mark is reported and the worker starts', async () => {
    const { worker, asking } = await populated();
    writeFileSync(
      join(worker.stateDir, 'journal', `${encodeURIComponent(asking)}.mark`),
      'not a mark',
    );
    await worker.start();
    const { client } = await connected(worker);
    expect(
      noticesOf(client)
        .map((n) => n.message)
        .join('\n'),
    ).toMatch(/high-water mark .* is unreadable/);
    expect(client.hello!.agents.map((a) => a.agentId)).toContain(asking);
  });
});
