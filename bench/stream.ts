// stream: agent events per second from one worker to WorkerClient (exactly-once checked; it
// announces `eventBatches`, so the worker sends one `agent/events` frame per commit) vs a raw
// ws flood of same-shaped `agent/event` frames, one per event, from a bare ws server process.
// The worker also journals every event before sending it; the raw server does not.
import WebSocket from 'ws';
import { connect, result, round, startBenchWorker, startRawServer, table } from './lib';

const EVENTS = Number(process.env.BENCH_STREAM_EVENTS ?? 100_000);
const RUNS = Number(process.env.BENCH_STREAM_RUNS ?? 5);
const SIZE = 100;

async function ours(): Promise<{ rate: number; complete: boolean }> {
  const worker = await startBenchWorker();
  const client = await connect(worker.url);
  let texts = 0;
  let lastSeq = 0;
  let ordered = true;
  let started = 0;
  const done = new Promise<void>((resolve) => {
    client.onEvents((batch) => {
      for (const e of batch) {
        if (e.seq !== lastSeq + 1) ordered = false;
        lastSeq = e.seq;
        if (e.event.kind === 'text' && texts++ === 0) started = performance.now();
      }
      if (texts === EVENTS) resolve();
    });
  });
  await client.spawn({
    name: 'Streamer',
    engine: 'scripted',
    assignment: `[[stream ${EVENTS} ${SIZE}]]`,
  });
  await done;
  const seconds = (performance.now() - started) / 1000;
  client.dispose();
  await worker.kill();
  return { rate: EVENTS / seconds, complete: ordered && texts === EVENTS };
}

async function raw(): Promise<number> {
  const server = await startRawServer();
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, { perMessageDeflate: false });
  await new Promise((r) => ws.once('open', r));
  let count = 0;
  let started = 0;
  const done = new Promise<void>((resolve) => {
    ws.on('message', (data) => {
      JSON.parse(String(data)); // a client must at least parse each frame
      if (count++ === 0) started = performance.now();
      if (count === EVENTS) resolve();
    });
  });
  ws.send(`flood ${EVENTS} ${SIZE}`);
  await done;
  const seconds = (performance.now() - started) / 1000;
  ws.close();
  await server.kill();
  return EVENTS / seconds;
}

async function main(): Promise<void> {
  const rawRates: number[] = [];
  const ourRates: number[] = [];
  let complete = true;
  // Pairs run back to back (raw, then ours), so each pair sees about the same machine load;
  // the median of the pairs' ratios is the figure, the best of each side is shown beside it.
  for (let i = 0; i < RUNS; i++) {
    rawRates.push(await raw());
    const o = await ours();
    ourRates.push(o.rate);
    complete &&= o.complete;
  }
  const best = (xs: number[]): number => Math.round(Math.max(...xs));
  const pairs = ourRates.map((o, i) => o / rawRates[i]!).sort((a, b) => a - b);
  const ratio = round(pairs[Math.floor(pairs.length / 2)]!, 2);
  const bestRatio = round(best(ourRates) / best(rawRates), 2);
  table(`stream: ${EVENTS} events of ${SIZE} chars, ${RUNS} pairs of runs (events/s)`, [
    {
      path: 'worker -> WorkerClient',
      best: best(ourRates),
      runs: ourRates.map((r) => Math.round(r)).join(' '),
    },
    {
      path: 'raw ws flood',
      best: best(rawRates),
      runs: rawRates.map((r) => Math.round(r)).join(' '),
    },
  ]);
  console.log(
    `ratio ${ratio}x raw per-frame, median of the pairs (best of each: ${bestRatio}x; goal >= 1.0x); every event exactly once, in order: ${complete}`,
  );
  result('stream', {
    oursEventsPerSec: best(ourRates),
    rawEventsPerSec: best(rawRates),
    ratio,
    bestRatio,
    pairRatios: pairs.map((r) => round(r, 2)),
    exactlyOnceInOrder: complete,
    goal: '>= 1.0x raw per-frame',
  });
}

void main();
