// panel: the real webview bundle in Chromium with the extension's CSP. First paint of a
// 10,000-event transcript (one message) and of the page the host really sends first (the
// newest 2,000); the webview draws the newest chunk first, so also the time until every chunk
// is shown; rows and DOM nodes after that, and the cost per streamed delta. Baseline in the
// same page: delivering the same message to a listener that does nothing with it.
import type { Page } from 'playwright-core';
import type { AgentEventEnvelope } from '../protocol/agentEvents';
import { envelopes, JAKE, longTranscript, row, squad } from '../test/panel/fixtures';
import { launchBrowser, send, servePanel } from '../test/panel/panelServer';
import { result, round, summarize, table } from './lib';

const RUNS = Number(process.env.BENCH_PANEL_RUNS ?? 5);
const DELTAS = Number(process.env.BENCH_PANEL_DELTAS ?? 2000);
const SQUAD = Number(process.env.BENCH_PANEL_SQUAD ?? 1000);

interface Paint {
  deliverMs: number;
  paintMs: number;
  /** Until every chunk of the page is checked and shown (transcriptPages.ts). */
  completeMs: number;
  rows: number;
  nodes: number;
}

/** Posts one transcript message inside the page and waits for the frame that shows it. */
async function paint(page: Page, events: AgentEventEnvelope[]): Promise<Paint> {
  return page.evaluate(async (evts) => {
    const message = {
      type: 'transcript',
      agentId: 'long-1',
      reset: true,
      more: false,
      events: evts,
    };
    // Baseline: the same message delivered to a listener that only receives it.
    const delivered = new Promise<number>((done) => {
      const t = performance.now();
      const channel = new MessageChannel();
      channel.port2.onmessage = () => done(performance.now() - t);
      channel.port1.postMessage(message);
    });
    const deliverMs = await delivered;
    performance.clearMeasures();
    const t0 = performance.now();
    window.postMessage(message, '*');
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const paintMs = performance.now() - t0;
    const transcript = document.querySelector('.transcript');
    while (transcript?.getAttribute('aria-busy') === 'true')
      await new Promise((r) => setTimeout(r, 1));
    const completeMs = performance.now() - t0;
    return {
      deliverMs,
      paintMs,
      completeMs,
      rows: document.querySelectorAll('.transcript .items > *').length,
      nodes: document.querySelectorAll('*').length,
    };
  }, events);
}

/** Streams `count` one-delta messages as fast as the page takes them; ms per delta. */
async function stream(
  page: Page,
  count: number,
  firstSeq: number,
): Promise<{ perDeltaMs: number; frames: number }> {
  return page.evaluate(
    async ({ count, firstSeq }) => {
      let frames = 0;
      let counting = true;
      const tick = (): void => {
        frames++;
        if (counting) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      const t0 = performance.now();
      for (let i = 0; i < count; i++)
        window.postMessage(
          {
            type: 'events',
            agentId: 'long-1',
            events: [
              {
                agentId: 'long-1',
                seq: firstSeq + i,
                time: Date.now(),
                event: { kind: 'text', text: `w${i} ` },
              },
            ],
          },
          '*',
        );
      const last = `w${count - 1}`;
      await new Promise<void>((done) => {
        const check = (): void => {
          const blocks = document.querySelectorAll('.transcript .block.text');
          if (blocks[blocks.length - 1]?.textContent?.includes(last)) done();
          else requestAnimationFrame(check);
        };
        check();
      });
      counting = false;
      return { perDeltaMs: (performance.now() - t0) / count, frames };
    },
    { count, firstSeq },
  );
}

/**
 * A squad message of `count` agents (the scale goal: 1,000), as the host sends when one of
 * them changes: agent `changed` is done.
 */
async function squadUpdate(
  page: Page,
  count: number,
  changed = -1,
): Promise<{ ms: number; nodes: number }> {
  const agents = [
    JAKE,
    ...Array.from({ length: count }, (_, i) =>
      row({
        id: `a-${i}`,
        name: `Agent ${i}`,
        state: i === changed ? 'done' : i % 3 ? 'working' : 'waiting',
        description: `Assignment number ${i}`,
      }),
    ),
  ];
  return page.evaluate(async (message) => {
    const t0 = performance.now();
    window.postMessage(message, '*');
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    return { ms: performance.now() - t0, nodes: document.querySelectorAll('*').length };
  }, squad(agents));
}

async function main(): Promise<void> {
  const server = await servePanel();
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 420, height: 800 } });
  const full = longTranscript('long-1', 10_000);
  const tail = full.slice(-2_000);
  const runs: {
    full: Paint[];
    tail: Paint[];
    perDelta: number[];
    frames: number[];
    squad: number[];
    squadNodes: number[];
  } = { full: [], tail: [], perDelta: [], frames: [], squad: [], squadNodes: [] };
  for (let i = 0; i < RUNS; i++) {
    await page.goto(server.url);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await send(page, squad([JAKE, row({ id: 'long-1', name: 'Sam', state: 'working' })]));
    await page.locator('li.agent', { hasText: 'Sam' }).click();
    // A fresh page per case, so each first paint is a cold one (as when a user opens an agent).
    runs.full.push(await paint(page, full));
    await page.reload();
    await page.locator('li.agent', { hasText: 'Sam' }).click();
    runs.tail.push(await paint(page, tail));
    await send(page, {
      type: 'events',
      agentId: 'long-1',
      events: envelopes('long-1', [{ kind: 'state', state: 'working' }], 10_001),
    });
    const s = await stream(page, DELTAS, 10_002);
    runs.perDelta.push(s.perDeltaMs);
    runs.frames.push(s.frames);
    await squadUpdate(page, SQUAD); // the first one builds the list
    const update = await squadUpdate(page, SQUAD, 7);
    runs.squad.push(update.ms);
    runs.squadNodes.push(update.nodes);
  }
  await browser.close();
  await server.close();
  const p50 = (xs: number[]): number => summarize(xs).p50;
  const pick = (ps: Paint[], k: keyof Paint): number => round(p50(ps.map((p) => p[k])), 1);
  const fullPaint = pick(runs.full, 'paintMs');
  const tailPaint = pick(runs.tail, 'paintMs');
  const deliver = pick(runs.full, 'deliverMs');
  table(`panel: medians of ${RUNS} cold loads (Chromium ${browser.version()})`, [
    {
      case: '10,000 events in one message',
      'first paint ms': fullPaint,
      'all loaded ms': pick(runs.full, 'completeMs'),
      'deliver-only baseline ms': deliver,
      rows: pick(runs.full, 'rows'),
      'DOM nodes': pick(runs.full, 'nodes'),
    },
    {
      case: 'newest 2,000 (what opening sends)',
      'first paint ms': tailPaint,
      'all loaded ms': pick(runs.tail, 'completeMs'),
      'deliver-only baseline ms': pick(runs.tail, 'deliverMs'),
      rows: pick(runs.tail, 'rows'),
      'DOM nodes': pick(runs.tail, 'nodes'),
    },
  ]);
  const perDelta = round(p50(runs.perDelta), 4);
  table(`panel: ${DELTAS} streamed deltas, one message each`, [
    { measure: 'ms per delta (parse + batch + render)', value: perDelta },
    { measure: 'animation frames used', value: p50(runs.frames) },
  ]);
  const squadMs = round(p50(runs.squad), 1);
  table(`panel: a squad update with ${SQUAD} agents (one changed)`, [
    { measure: 'message -> painted (ms)', value: squadMs },
    { measure: 'DOM nodes', value: p50(runs.squadNodes) },
  ]);
  result('panel', {
    fullPaintMs: fullPaint,
    fullPaintVsDeliver: round(fullPaint / deliver, 2),
    fullCompleteMs: pick(runs.full, 'completeMs'),
    tailPaintMs: tailPaint,
    rows: pick(runs.full, 'rows'),
    domNodes: pick(runs.full, 'nodes'),
    perDeltaMs: perDelta,
    squadUpdateMs: squadMs,
    squadAgents: SQUAD,
    goalPaintMs: 100,
    goalRows: 300,
  });
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
