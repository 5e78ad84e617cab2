// The panel end of bench/endToEnd.ts: the real webview bundle in Chromium under the
// extension's CSP (test/panel/panelServer.ts), fed the way the extension host feeds it: the
// host's own TranscriptFeed posts each message, in order, as VS Code's postMessage would. VS
// Code carries a webview message as a JSON string over its IPC and the webview receives it as
// a window `message` event; here the string goes over a local WebSocket to a script in the page
// that parses it and posts it to the window (the DevTools protocol, used for that before, cost
// the renderer a third of its time and the host more than the panel did). A script in the
// page watches what arrives and when the frame that shows each event has been drawn: an event
// counts as painted once the row it belongs to is the transcript's last row (or an older one)
// and, for text, holds its characters.
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AgentRow, HostMessage } from '../protocol/webview';
import { TranscriptFeed, type FeedMessage } from '../extension/core/transcriptFeed';
import { launchBrowser, servePanel, type PanelServer } from '../test/panel/panelServer';

export interface PaintStats {
  /** Live events received, and painted. */
  live: number;
  painted: number;
  /** emit (`time`) -> painted, and emit -> received in the page, ms per event. */
  paint: number[];
  receive: number[];
  /** Epoch ms of the last paint. */
  lastPaint: number;
  /** Every seq the page was sent for the agent on screen (pages and live), in order. */
  seen: number[];
}

// Runs in the page before its own scripts (so its listener sees each message first).
const INSTRUMENT = `(() => {
  const s = { agent: undefined, live: 0, painted: 0, paint: [], receive: [], lastPaint: 0, seen: [] };
  window.__e2e = s;
  s.debug = () => {
    const last = document.querySelector('.transcript .items')?.lastElementChild;
    return { live: s.live, painted: s.painted, next: queue[0], lastKey: last?.dataset.key, lastClass: last?.className, lastLen: last?.textContent.length, rows: document.querySelectorAll('.transcript .items > *').length };
  };
  const NOTABLE = new Set(['done', 'failed', 'interrupted', 'dismissed']);
  const queue = [];
  let kind = null, key = 0, len = 0, scheduled = false;
  const now = () => performance.timeOrigin + performance.now();
  // Which row an event lands in, by the transcript model's rules (media/transcriptModel.ts).
  const track = (e) => {
    const ev = e.event;
    if (ev.kind === 'text' || ev.kind === 'thinking') {
      if (kind === ev.kind) len += ev.text.length;
      else { kind = ev.kind; key = e.seq; len = ev.text.length; }
      return { key, len: ev.kind === 'text' ? len : -1 };
    }
    if (ev.kind === 'usage' || ev.kind === 'tool_result' || (ev.kind === 'state' && !NOTABLE.has(ev.state)))
      return { key: 0, len: -1 };
    kind = null; key = e.seq; len = 0;
    return { key, len: -1 };
  };
  const check = () => {
    scheduled = false;
    const last = document.querySelector('.transcript .items')?.lastElementChild;
    const lastKey = last ? Number(last.dataset.key) : 0;
    const lastLen = last?.classList.contains('text') ? last.textContent.length : -1;
    const t = now();
    let i = 0;
    for (; i < queue.length; i++) {
      const q = queue[i];
      if (q.key > 0 && !(lastKey > q.key || (lastKey === q.key && (q.len < 0 || lastLen >= q.len)))) break;
      s.paint.push(t - q.time);
      s.painted++;
      s.lastPaint = t;
    }
    queue.splice(0, i);
    if (queue.length > 0) schedule();
  };
  // After the next frame is drawn (the panel draws in requestAnimationFrame).
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => setTimeout(check, 0));
  };
  addEventListener('message', (msg) => {
    const m = msg.data;
    if (!m || m.agentId !== s.agent) return;
    if (m.type === 'transcript') {
      for (const e of m.events) { s.seen.push(e.seq); track(e); }
      return;
    }
    if (m.type !== 'events') return;
    const t = now();
    for (const e of m.events) {
      s.seen.push(e.seq);
      s.live++;
      s.receive.push(t - e.time);
      const where = track(e);
      queue.push({ time: e.time, key: where.key, len: where.len });
    }
    schedule();
  });
})();`;

/** The host end of the IPC stand-in: each message the page is sent, as one JSON string. */
const PIPE = (port: number): string => `(() => {
  const pipe = new WebSocket('ws://127.0.0.1:${port}');
  pipe.onmessage = (e) => window.postMessage(JSON.parse(e.data), '*');
})();`;

export class PanelHarness {
  private failure: unknown;
  /** Live events posted for the agent on screen in this phase (`stats(true)` resets it). */
  posted = 0;
  readonly feed = new TranscriptFeed((message) => this.post(message));

  private constructor(
    private readonly server: PanelServer,
    private readonly pipes: WebSocketServer,
    private readonly pipe: WebSocket,
    private readonly browser: Browser,
    readonly page: Page,
  ) {
    pipe.on('error', (error) => (this.failure ??= error));
    pipe.on('close', () => (this.failure ??= new Error('the page closed its pipe')));
  }

  static async start(): Promise<PanelHarness> {
    const server = await servePanel();
    const pipes = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(pipes, 'listening');
    const browser = await launchBrowser();
    // The panel's CSP allows no connections: bypassed for the pipe only (test/panel checks
    // the CSP itself).
    const page = await browser.newPage({ viewport: { width: 420, height: 800 }, bypassCSP: true });
    page.on('pageerror', (error) => console.error(`  panel error: ${error.message}`));
    await page.addInitScript(INSTRUMENT);
    await page.addInitScript(PIPE((pipes.address() as AddressInfo).port));
    const connected = once(pipes, 'connection') as Promise<[WebSocket]>;
    await page.goto(server.url);
    const [pipe] = await connected;
    await page.waitForFunction(
      () => (window as unknown as { __posted: unknown[] }).__posted.length,
    );
    return new PanelHarness(server, pipes, pipe, browser, page);
  }

  get browserVersion(): string {
    return this.browser.version();
  }

  /** Shows the squad and waits for the panel to open the first row, as the host would. */
  async show(rows: AgentRow[]): Promise<void> {
    const agentId = rows[0]!.id;
    await this.page.evaluate((id) => ((window as unknown as E2eWindow).__e2e.agent = id), agentId);
    this.post({
      type: 'squad',
      folders: [{ id: '/bench', name: 'bench' }],
      folder: '/bench',
      agents: rows,
      approvals: [],
    });
    await this.page.waitForFunction(
      (id) =>
        (window as unknown as { __posted: { type: string; agentId?: string }[] }).__posted.some(
          (m) => m.type === 'openAgent' && m.agentId === id,
        ),
      agentId,
    );
  }

  /**
   * One message to the page, after those before it (VS Code keeps their order too). Like
   * VS Code's postMessage it does not wait for the page.
   */
  post(message: HostMessage | FeedMessage): void {
    if (message.type === 'events') this.posted += message.events.length;
    this.pipe.send(JSON.stringify(message));
  }

  /** Resolves once every live event posted so far has been painted. */
  async allPainted(timeoutMs: number): Promise<void> {
    if (this.failure) throw this.failure;
    try {
      await this.page.waitForFunction(
        (n) => (window as unknown as E2eWindow).__e2e.painted >= n,
        this.posted,
        { timeout: timeoutMs, polling: 50 },
      );
    } catch (error) {
      const state = await this.page.evaluate(() => (window as unknown as E2eWindow).__e2e.debug());
      throw new Error(
        `${this.posted} live events posted, the panel: ${JSON.stringify(state)} (${String(error)})`,
      );
    }
  }

  /** What the page measured; `reset` starts the next phase from zero. */
  async stats(reset = false): Promise<PaintStats> {
    if (reset) this.posted = 0;
    return this.page.evaluate((clear) => {
      const s = (window as unknown as E2eWindow).__e2e;
      const out = { ...s };
      if (clear) {
        s.live = 0;
        s.painted = 0;
        s.paint = [];
        s.receive = [];
      }
      return out;
    }, reset);
  }

  /**
   * Traces the page until the returned function is called, which writes a Chrome trace (open
   * it in DevTools' Performance panel): where the renderer's time goes, including layout,
   * style and paint that a JS profile shows only as "(program)". For BENCH_E2E_PROFILE.
   */
  async trace(): Promise<(file: string) => Promise<void>> {
    await this.browser.startTracing(this.page, {
      categories: (
        process.env.BENCH_TRACE_CATS ??
        'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute'
      ).split(','),
    });
    return async (file) => writeFileSync(file, await this.browser.stopTracing());
  }

  async close(): Promise<void> {
    this.feed.dispose();
    this.pipe.close();
    await this.browser.close();
    await new Promise((done) => this.pipes.close(done));
    await this.server.close();
  }
}

interface E2eWindow {
  __e2e: PaintStats & { agent: string | undefined; debug(): unknown };
}

/** The squad row the host would send for an agent (the fields the panel draws). */
export function rowOf(agent: {
  id: string;
  name: string;
  state: AgentRow['state'];
  workerName: string;
  engine: string;
}): AgentRow {
  return {
    id: agent.id,
    name: agent.name,
    isJake: false,
    state: agent.state,
    workerName: agent.workerName,
    engine: agent.engine,
    pendingApprovals: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
  };
}
