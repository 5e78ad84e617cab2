// rtt: coordinator -> worker request round trip (agent/list through WorkerClient) vs a raw
// ws echo of a same-size frame, interleaved in blocks so both see the same machine noise.
import WebSocket from 'ws';
import { connect, result, round, startBenchWorker, startRawServer, summarize, table } from './lib';

const ROUNDS = Number(process.env.BENCH_RTT_ROUNDS ?? 2000);
const BLOCK = 100;

async function main(): Promise<void> {
  const worker = await startBenchWorker();
  const raw = await startRawServer();
  const client = await connect(worker.url);
  const frame = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'agent/list', params: {} });
  const echo = new WebSocket(`ws://127.0.0.1:${raw.port}/`, { perMessageDeflate: false });
  await new Promise((r) => echo.once('open', r));
  const echoOnce = (): Promise<void> =>
    new Promise((resolve) => {
      echo.once('message', () => resolve());
      echo.send(frame);
    });

  const ours: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < 200; i++) {
    await client.list();
    await echoOnce();
  }
  for (let done = 0; done < ROUNDS; done += BLOCK) {
    for (let i = 0; i < BLOCK; i++) {
      const t = performance.now();
      await client.list();
      ours.push(performance.now() - t);
    }
    for (let i = 0; i < BLOCK; i++) {
      const t = performance.now();
      await echoOnce();
      base.push(performance.now() - t);
    }
  }
  const o = summarize(ours);
  const b = summarize(base);
  table(`rtt: ${ROUNDS} round trips each (ms)`, [
    { path: 'agent/list via WorkerClient', ...o },
    { path: 'raw ws echo (same frame)', ...b },
  ]);
  const ratioP50 = round(o.p50 / b.p50, 2);
  const ratioP99 = round(o.p99 / b.p99, 2);
  console.log(`ratio p50 ${ratioP50}x, p99 ${ratioP99}x (goal <= 3x raw)`);
  echo.close();
  client.dispose();
  await Promise.all([worker.kill(), raw.kill()]);
  result('rtt', { oursMs: o, rawMs: b, ratioP50, ratioP99, goal: '<= 3x raw' });
}

void main();
