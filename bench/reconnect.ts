// reconnect: a coordinator's connection is cut; while it is down its agent produces 10,000
// events; how long from the cut (and from the reconnect) until the transcript is complete?
import { benchClient, connect, result, round, startBenchWorker, table } from './lib';

const MISSED = Number(process.env.BENCH_RECONNECT_EVENTS ?? 10_000);

async function main(): Promise<void> {
  const worker = await startBenchWorker();
  const driver = await connect(worker.url);
  // The measured coordinator waits a fixed 1 s before reconnecting, so every event is missed.
  const measured = await benchClient(worker.url, {
    backoffMinMs: 1000,
    backoffMaxMs: 1000,
  }).connect();
  const agentId = `gimli-${Date.now()}`;
  let delivered = 0;
  let lastSeq = 0;
  let complete = true;
  measured.onEvents((batch) => {
    for (const e of batch) {
      if (e.agentId !== agentId) continue;
      if (e.seq !== lastSeq + 1) complete = false;
      lastSeq = e.seq;
      delivered++;
    }
  });
  const seen = new Promise<void>((resolve) => {
    const sub = measured.onEvents(() => {
      sub.dispose();
      resolve();
    });
  });
  await driver.spawn({ agentId, name: 'Gimli', engine: 'scripted' });
  await seen;

  const driverDone = new Promise<number>((resolve) =>
    driver.onEvents((batch) => {
      for (const e of batch)
        if (e.agentId === agentId && e.event.kind === 'state' && e.event.state === 'done')
          resolve(e.seq);
    }),
  );
  let reconnectingAt = 0;
  measured.onStatus((s) => {
    if (s.status === 'reconnecting') reconnectingAt = performance.now();
  });
  const cutAt = performance.now();
  measured.dropConnection();
  await driver.send({ agentId, text: `[[stream ${MISSED} 50]] [[done streamed]]` });
  const finalSeq = await driverDone;
  await new Promise<void>((resolve) => {
    if (lastSeq >= finalSeq) return resolve();
    const sub = measured.onEvents(() => {
      if (lastSeq >= finalSeq) {
        sub.dispose();
        resolve();
      }
    });
  });
  const end = performance.now();
  const fromReconnect = round(end - reconnectingAt, 1);
  const fromCut = round(end - cutAt, 1);
  table(`reconnect: ${MISSED} events missed while disconnected`, [
    { measure: 'reconnect start -> transcript complete (ms)', value: fromReconnect },
    { measure: 'cut -> transcript complete, incl. 1 s backoff (ms)', value: fromCut },
    { measure: 'events replayed, exactly once in order', value: `${delivered - 1} / ${complete}` },
  ]);
  driver.dispose();
  measured.dispose();
  await worker.kill();
  result('reconnect', {
    missedEvents: MISSED,
    reconnectToCompleteMs: fromReconnect,
    cutToCompleteMs: fromCut,
    exactlyOnceInOrder: complete,
  });
}

void main();
