// The journal store on its own: memory-only (as the extension host uses it for Jake) and on
// disk: events published only after they are written, per tick, in order; a failed write
// held and retried without losing order; a torn tail cut at restore.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EncodedEnvelope } from '../../runtime/eventEncoding';
import { JournalStore } from '../../runtime/journalStore';
import { createLogger } from '../../runtime/log';

function store(dir: string | undefined): {
  store: JournalStore;
  published: EncodedEnvelope[][];
  log: string[];
  logged(pattern: RegExp): Promise<void>;
} {
  const published: EncodedEnvelope[][] = [];
  const log: string[] = [];
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const s = new JournalStore({
    dir,
    log: createLogger('debug', (line) => {
      log.push(line);
      for (const w of waiters.filter((w) => w.pattern.test(line))) w.resolve();
    }),
    publish: (batch) => published.push([...batch]),
  });
  const logged = (pattern: RegExp): Promise<void> =>
    log.some((l) => pattern.test(l))
      ? Promise.resolve()
      : new Promise((resolve) => waiters.push({ pattern, resolve }));
  return { store: s, published, log, logged };
}

describe('JournalStore', () => {
  it('memory-only: seqs at append, one publish per tick after it, replay from the ring', async () => {
    const { store: s, published } = store(undefined);
    await s.start();
    const a = s.create('a');
    const b = s.create('b');
    expect(a.append({ kind: 'text', text: 'one' }).seq).toBe(1);
    expect(b.append({ kind: 'text', text: 'uno' }).seq).toBe(1);
    expect(a.append({ kind: 'text', text: 'two' }).seq).toBe(2);
    // Nothing is published (or replayable) before the commit.
    expect(published).toEqual([]);
    expect(a.lastSeq).toBe(0);
    await a.untilDurable();
    expect(published).toHaveLength(1);
    expect(published[0]!.map((e) => `${e.envelope.agentId}:${e.envelope.seq}`)).toEqual([
      'a:1',
      'b:1',
      'a:2',
    ]);
    expect(published[0]![0]!.line).toBe(JSON.stringify(published[0]![0]!.envelope));
    const replay = await a.replay(0, 10);
    expect(replay.events.map((e) => e.seq)).toEqual([1, 2]);
    await s.close();
  });

  it('an event that cannot be encoded becomes an error event with the same seq', async () => {
    const { store: s, published } = store(undefined);
    const j = s.create('deep');
    let input: Record<string, unknown> = {};
    for (let i = 0; i < 20_000; i++) input = { a: input };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    j.append({ kind: 'tool_use', id: 't1', name: 'deep', input });
    j.append({ kind: 'tool_use', id: 't2', name: 'cyclic', input: cyclic });
    j.append({ kind: 'text', text: 'after' });
    await j.untilDurable();
    const events = published.flat().map((e) => e.envelope);
    expect(events.map((e) => [e.seq, e.event.kind])).toEqual([
      [1, 'error'],
      [2, 'error'],
      [3, 'text'],
    ]);
    expect(events[0]!.event).toMatchObject({
      code: 'unencodable_event',
      message: expect.stringMatching(/deeper than 512/),
    });
    expect(events[1]!.event).toMatchObject({
      code: 'unencodable_event',
      message: expect.stringMatching(/circular/i),
    });
  });

  it('on disk: written before published; a failed write is held, retried in order, then published', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tavern-journal-'));
    const { store: s, published, log, logged } = store(dir);
    await s.start();
    const j = s.create('agent');
    const file = join(dir, 'agent.jsonl');
    // A full disk: every write to /dev/full fails with ENOSPC.
    symlinkSync('/dev/full', file);
    j.append({ kind: 'text', text: 'first' });
    j.append({ kind: 'text', text: 'second' });
    await logged(/cannot write/);
    expect(published).toEqual([]);
    expect(j.lastSeq).toBe(0);
    // Space comes back: the held events are written, then published, in order.
    rmSync(file);
    j.append({ kind: 'text', text: 'third' });
    await j.untilDurable();
    expect(published.flat().map((e) => e.envelope.seq)).toEqual([1, 2, 3]);
    const onDisk = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(onDisk.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([1, 2, 3]);
    expect(log.join('\n')).toMatch(/is being written again/);
    await s.close();
  });

  it('restore cuts a torn tail and continues the seq from the last complete line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tavern-journal-'));
    const first = store(dir);
    await first.store.start();
    const j = first.store.create('agent');
    for (let i = 0; i < 5; i++) j.append({ kind: 'text', text: `line ${i}` });
    await j.untilDurable();
    await first.store.close();
    appendFileSync(join(dir, 'agent.jsonl'), '{"agentId":"agent","seq":6,"ti');
    const second = store(dir);
    await second.store.start();
    const { journal, problems, lost } = await second.store.restore('agent');
    expect(problems.join()).toMatch(/cut an incomplete last line/);
    expect(lost).toBeUndefined();
    expect(journal.lastSeq).toBe(5);
    expect(journal.append({ kind: 'text', text: 'next' }).seq).toBe(6);
    await journal.untilDurable();
    const seqs = readFileSync(join(dir, 'agent.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await journal.replay(3, 10)).events.map((e) => e.seq)).toEqual([4, 5, 6]);
  });
});
