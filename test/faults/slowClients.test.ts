// Coordinators that stop reading: the worker's memory stays bounded (its RSS is measured and
// printed), a healthy coordinator next to them keeps getting every event, a stalled one that
// reads again is caught up from the journal exactly once, and one that never reads again is
// dropped (it would replay on reconnect). Timing figures are printed, never asserted.
import { afterEach, describe, expect, it } from 'vitest';
import { startWorker, type RunningWorker } from '../helpers/workerProcess';
import {
  followingClient,
  Ledger,
  rawPeer,
  resumeReading,
  rssMb,
  stopReading,
  watchRss,
} from './faultHelpers';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function worker(args: string[]): Promise<RunningWorker> {
  const w = await startWorker({ args: ['--log-level', 'debug', ...args] });
  cleanups.push(() => w.kill());
  return w;
}

/** The longest pause between two events a ledger received, in ms (a figure, not a check). */
function trackGaps(ledger: Ledger): () => number {
  let last = 0;
  let longest = 0;
  const original = ledger.add.bind(ledger);
  ledger.add = (envelope) => {
    const now = performance.now();
    if (last) longest = Math.max(longest, now - last);
    last = now;
    original(envelope);
  };
  return () => Math.round(longest);
}

describe('coordinators that stop reading', () => {
  it('a never-reading coordinator: worker memory stays bounded, a healthy one gets every event', async () => {
    const w = await worker(['--send-buffer-mb', '4']);
    const baseline = rssMb(w.proc.pid!);
    const stuck = await rawPeer(w, { batches: true });
    cleanups.push(() => stuck.ws.terminate());
    stopReading(stuck.ws);
    const healthy = followingClient(w.attachUrl);
    cleanups.push(() => healthy.dispose());
    const ledger = new Ledger(healthy);
    const longestGap = trackGaps(ledger);
    await healthy.connect();
    const rss = watchRss(w.proc.pid!);
    // 25,000 events of 16 KB: 400 MB that the stuck coordinator never reads.
    const { agentId } = await healthy.spawn({
      name: 'Flood',
      engine: 'scripted',
      assignment: '[[stream 25000 16000]] [[ask done?]]',
    });
    await ledger.until(
      () => ledger.byAgent.get(agentId)?.some((e) => e.event.kind === 'report') === true,
      'the flood to reach the healthy coordinator',
      240_000,
    );
    const peak = rss.stop();
    const texts = ledger.byAgent.get(agentId)!.filter((e) => e.event.kind === 'text').length;
    console.log(
      `never-reading coordinator, 25,000 x 16 KB events (400 MB unread): worker RSS ${baseline} MB at start, peak ${peak} MB; the healthy coordinator got ${texts} texts, longest pause ${longestGap()} ms`,
    );
    expect(ledger.problems).toEqual([]);
    expect(texts).toBe(25_001);
    // Unbounded, the 400 MB it never read would sit in the worker (135 MB queued took it to
    // ~880 MB before). Bounded, the peak is the streaming's own working set.
    expect(peak - baseline).toBeLessThan(350);
    expect(w.stderr()).toMatch(/further events follow from the journal as it reads/);
  }, 300_000);

  it('a stalled coordinator that reads again is caught up from the journal, every event once, in order', async () => {
    // Long heartbeats: this test is about catching up, not about dropping a silent peer.
    const w = await worker(['--send-buffer-mb', '1', '--heartbeat-ms', '5000']);
    const stalled = await rawPeer(w, { batches: true });
    cleanups.push(() => stalled.ws.terminate());
    const healthy = followingClient(w.attachUrl);
    cleanups.push(() => healthy.dispose());
    const ledger = new Ledger(healthy);
    await healthy.connect();
    stopReading(stalled.ws);
    const { agentId } = await healthy.spawn({
      name: 'Stream',
      engine: 'scripted',
      assignment: '[[stream 30000 1000]] [[ask done?]]',
    });
    const lastSeq = (): number => ledger.lastSeq(agentId);
    await ledger.until(
      () => ledger.byAgent.get(agentId)?.some((e) => e.event.kind === 'report') === true,
      'the stream to end',
      240_000,
    );
    await ledger.until(() => lastSeq() > 0 && healthy.lastSeq(agentId) === lastSeq(), 'settled');
    const before = stalled.ledger.total;
    resumeReading(stalled.ws);
    await stalled.ledger.until(
      () => stalled.ledger.lastSeq(agentId) >= lastSeq(),
      'the stalled coordinator to catch up',
      120_000,
    );
    console.log(
      `stalled coordinator: had ${before} of ${lastSeq()} events when it read again; caught up from the journal`,
    );
    expect(stalled.ledger.problems).toEqual([]);
    expect(stalled.ledger.byAgent.get(agentId)!.map((e) => e.seq)).toEqual(
      Array.from({ length: lastSeq() }, (_, i) => i + 1),
    );
    expect(stalled.ws.readyState).toBe(stalled.ws.OPEN);
  }, 300_000);

  it('a coordinator that never reads again is dropped after the silent heartbeats; the others go on', async () => {
    const w = await worker(['--heartbeat-ms', '50', '--send-buffer-mb', '1']);
    const stuck = await rawPeer(w);
    stopReading(stuck.ws);
    const closed = new Promise<void>((resolve) => stuck.ws.once('close', () => resolve()));
    const healthy = followingClient(w.attachUrl);
    cleanups.push(() => healthy.dispose());
    const ledger = new Ledger(healthy);
    await healthy.connect();
    const { agentId } = await healthy.spawn({
      name: 'Long',
      engine: 'scripted',
      assignment: '[[stream 20000 1000]] [[wait 2000]] [[stream 10 10]] [[ask done?]]',
    });
    // The worker drops it; our side of the paused socket learns it when it reads again.
    const dropped = (): boolean => /neither answered pings nor read anything/.test(w.stderr());
    await ledger.until(
      () => ledger.byAgent.get(agentId)?.some((e) => e.event.kind === 'report') === true,
      'the end of the stream',
      240_000,
    );
    resumeReading(stuck.ws);
    await closed;
    expect(dropped()).toBe(true);
    expect(ledger.problems).toEqual([]);
    expect(ledger.byAgent.get(agentId)!.filter((e) => e.event.kind === 'text')).toHaveLength(
      20_011,
    );
  }, 300_000);

  it('past the worker-wide budget the coordinator furthest behind is dropped, not the others', async () => {
    const w = await worker(['--send-buffer-mb', '2', '--send-budget-mb', '3']);
    const stuck = await Promise.all([1, 2, 3].map(() => rawPeer(w, { batches: true })));
    const closes = stuck.map(
      (s) => new Promise<void>((resolve) => s.ws.once('close', () => resolve())),
    );
    for (const s of stuck) {
      cleanups.push(() => s.ws.terminate());
      stopReading(s.ws);
    }
    const healthy = followingClient(w.attachUrl);
    cleanups.push(() => healthy.dispose());
    const ledger = new Ledger(healthy);
    await healthy.connect();
    const { agentId } = await healthy.spawn({
      name: 'Budget',
      engine: 'scripted',
      assignment: '[[stream 20000 1000]] [[ask done?]]',
    });
    await ledger.until(
      () => ledger.byAgent.get(agentId)?.some((e) => e.event.kind === 'report') === true,
      'the end of the stream',
      240_000,
    );
    expect(w.stderr()).toMatch(
      /over this worker's budget of 3\.0 MB.*dropping the one furthest behind/,
    );
    for (const s of stuck) resumeReading(s.ws);
    // At least one was dropped (its socket closes once it reads); the healthy one got all.
    await Promise.race(closes);
    expect(ledger.problems).toEqual([]);
    expect(ledger.byAgent.get(agentId)!.filter((e) => e.event.kind === 'text')).toHaveLength(
      20_001,
    );
  }, 300_000);
});
