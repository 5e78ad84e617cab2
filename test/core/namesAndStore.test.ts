import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { AgentEventEnvelope } from '../../protocol/agentEvents';
import { NAME_THEMES, NamePool } from '../../extension/core/coordinator/names';
import type { AgentRecord } from '../../extension/core/store/agentRecord';
import { TavernStore } from '../../extension/core/store/tavernStore';

describe('NamePool', () => {
  it('hands out themed names in order, unique, released on dismiss, then <Theme>-N', () => {
    const pool = new NamePool('lotr');
    expect([pool.claim(), pool.claim(), pool.claim()]).toEqual(['Frodo', 'Sam', 'Gandalf']);
    pool.release('Sam');
    expect(pool.claim()).toBe('Sam');
    expect(() => pool.claim('frodo')).toThrow(/already used in this project/);
    const total = NAME_THEMES.lotr.tiers.flat().length;
    for (let i = 3; i < total; i++) pool.claim();
    expect(pool.claim()).toBe('LOTR-1');
    expect(pool.claim()).toBe('LOTR-2');
    // Themed names come back before more numbered ones once one is released.
    pool.release('Gandalf');
    expect(pool.claim()).toBe('Gandalf');
    expect(pool.claim()).toBe('LOTR-3');
  });

  it('keeps separate projects separate', () => {
    const a = new NamePool();
    const b = new NamePool();
    expect(a.claim()).toBe('Frodo');
    expect(b.claim()).toBe('Frodo');
  });
});

const record = (id: string, name: string, lastSeq: number): AgentRecord => ({
  id,
  name,
  workerUrl: 'ws://127.0.0.1:7420/',
  workerId: 'w1',
  engine: 'scripted',
  permissionMode: 'default',
  state: 'working',
  lastSeq,
  usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
});
const envelopes = (agentId: string, from: number, to: number): AgentEventEnvelope[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    agentId,
    seq: from + i,
    time: 0,
    event: { kind: 'text', text: `t${from + i}` },
  }));

describe('TavernStore (.tavern/)', () => {
  it('keeps records and append-only transcripts that a new store reads back, page by page', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tavern-project-'));
    const first = new TavernStore(folder);
    expect(first.readOnly).toBe(false);
    expect(readFileSync(join(folder, '.tavern/.gitignore'), 'utf8')).toMatch(/^\*$/m);
    first.saveRecord(record('a1', 'Frodo', 300));
    first.append('a1', 'Frodo', envelopes('a1', 1, 100));
    first.append('a1', 'Frodo', envelopes('a1', 101, 300));
    await first.dispose();

    const second = new TavernStore(folder);
    expect(second.readOnly).toBe(false); // the first one released its lock
    expect(second.loadRecords()).toMatchObject([{ id: 'a1', name: 'Frodo', lastSeq: 300 }]);
    const last = await second.loadTranscript('a1', { limit: 50 });
    expect(last.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 251 + i));
    const before = await second.loadTranscript('a1', { beforeSeq: 251, limit: 50 });
    expect(before.at(0)?.seq).toBe(201);
    expect(before.at(-1)?.seq).toBe(250);
    await second.dispose();
  });

  it('says it is behind while many lines wait, makes agent folders as it writes, loses none', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tavern-project-'));
    const store = new TavernStore(folder);
    expect(store.behind).toBe(false);
    for (let i = 0; i < 30; i++) store.append(`a${i}`, `Agent${i}`, envelopes(`a${i}`, 1, 1000));
    expect(store.behind).toBe(true); // 30,000 lines queued, none written yet
    await store.flush();
    expect(store.behind).toBe(false);
    for (let i = 0; i < 30; i++) {
      const all = await store.loadTranscript(`a${i}`, { limit: 5000 });
      expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 1000 }, (_, k) => k + 1));
    }
    await store.dispose();
  });

  it('opens read-only while another live process holds the lock, and takes over a stale lock', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tavern-project-'));
    const writer = new TavernStore(folder);
    const reader = new TavernStore(folder);
    expect(reader.readOnly).toBe(true);
    expect(reader.lock.acquired === false && reader.lock.message).toMatch(
      /Another Tavern window \(pid \d+/,
    );
    reader.append('x', 'X', envelopes('x', 1, 3)); // ignored: read-only
    await reader.dispose();
    await writer.dispose();

    // A lock left by a process that no longer exists is stale.
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    writeFileSync(
      join(folder, '.tavern/lock'),
      JSON.stringify({
        pid: Number(dead),
        host: (await import('node:os')).hostname(),
        since: 'earlier',
      }),
    );
    const next = new TavernStore(folder);
    expect(next.readOnly).toBe(false);
    await next.dispose();
  });
});
