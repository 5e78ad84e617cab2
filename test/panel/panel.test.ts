// The Tavern panel in a real browser (Debian's Chromium via playwright-core) on the built
// webview, with the extension's HTML and CSP. The test plays the host: it sends the messages
// the extension sends and reads what the panel posts back.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { envelopes, JAKE, longTranscript, row, squad } from './fixtures';
import { launchBrowser, posted, send, servePanel, type PanelServer } from './panelPage';

const SHOTS = resolve(__dirname, '../../test-results/panel');
let server: PanelServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await servePanel();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});
beforeEach(async () => {
  await page?.close();
  page = await browser.newPage({ viewport: { width: 420, height: 800 } });
  page.on('pageerror', (error) => console.error(`panel error: ${error.message}`));
  await page.goto(server.url);
  await page.waitForFunction(
    () => (window as unknown as { __posted: unknown[] }).__posted.length > 0,
  );
});

const view = (p: Page) => p.locator('#app');

async function showJake(
  p: Page,
  events = envelopes('jake', [{ kind: 'state', state: 'waiting', reason: 'input' }]),
): Promise<void> {
  await send(
    p,
    squad([JAKE, row({ id: 'frodo-1', name: 'Frodo', description: 'Polish the bar' })]),
  );
  await send(p, { type: 'transcript', agentId: 'jake', reset: true, more: false, events });
}

describe('the Tavern panel in Chromium', () => {
  it('asks for data on load, selects Jake first and streams text as it arrives', async () => {
    expect((await posted(page))[0]).toEqual({ type: 'ready' });
    await showJake(page);
    expect(await posted(page)).toContainEqual({ type: 'openAgent', agentId: 'jake' });
    await expect
      .poll(() => view(page).locator('.conversation-header .title').textContent())
      .toContain('The Proprietor');
    const words = ['STEP ', 'RIGHT ', 'UP, ', 'friend!', '\n\n```ts\nconst ale = 1;\n```'];
    let seq = 2;
    await send(page, {
      type: 'events',
      agentId: 'jake',
      events: envelopes('jake', [{ kind: 'state', state: 'working' }], seq++),
    });
    await expect.poll(() => view(page).locator('.cogitating').isVisible()).toBe(true);
    for (const w of words) {
      await send(page, {
        type: 'events',
        agentId: 'jake',
        events: envelopes('jake', [{ kind: 'text', text: w }], seq++),
      });
    }
    await expect
      .poll(() => view(page).locator('.block.text').first().textContent())
      .toContain('STEP RIGHT UP, friend!');
    // One text block for all deltas, the code highlighted as spans, no raw markdown left.
    expect(await view(page).locator('.block.text').count()).toBe(1);
    expect(
      await view(page).locator('.block.text pre code .hljs-keyword').first().textContent(),
    ).toBe('const');
    await send(page, {
      type: 'events',
      agentId: 'jake',
      events: envelopes('jake', [{ kind: 'state', state: 'waiting', reason: 'input' }], seq++),
    });
    await expect.poll(() => view(page).locator('.cogitating').isVisible()).toBe(false);
  });

  it('sends on Enter, adds a line on Shift+Enter, and runs slash commands', async () => {
    await showJake(page);
    const input = view(page).locator('textarea.input');
    await input.click();
    await input.type('first line');
    await page.keyboard.press('Shift+Enter');
    await input.type('second line');
    await page.keyboard.press('Enter');
    expect(await posted(page)).toContainEqual({
      type: 'send',
      agentId: 'jake',
      text: 'first line\nsecond line',
    });
    expect(await input.inputValue()).toBe('');
    await input.type('/help');
    await page.keyboard.press('Enter');
    await expect.poll(() => view(page).locator('.local-note').textContent()).toContain('/dismiss');
    await input.type('/dismiss');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => view(page).locator('.local-note').textContent())
      .toContain('cannot be dismissed');
    // Another agent: /dismiss posts, clicking the row opens its transcript.
    await view(page).locator('li.agent', { hasText: 'Frodo' }).click();
    expect(await posted(page)).toContainEqual({ type: 'openAgent', agentId: 'frodo-1' });
    await send(page, {
      type: 'transcript',
      agentId: 'frodo-1',
      reset: true,
      more: false,
      events: envelopes('frodo-1', [
        {
          kind: 'result',
          ok: true,
          inputTokens: 1200,
          outputTokens: 300,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          costUsd: 0.25,
          turns: 2,
          durationMs: 4000,
        },
      ]),
    });
    await expect
      .poll(() => view(page).locator('.conversation-header .cost').textContent())
      .toContain('$0.25');
    await input.type('/dismiss');
    await page.keyboard.press('Enter');
    expect(await posted(page)).toContainEqual({ type: 'dismiss', agentId: 'frodo-1' });
    await input.type('/bogus');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => view(page).locator('.local-note').textContent())
      .toContain('Unknown command /bogus');
    expect(await input.inputValue()).toBe('/bogus'); // kept, so a typo can be fixed
  });

  it('shows approvals as cards and badges, and posts the answers', async () => {
    const approvals = [
      {
        agentId: 'frodo-1',
        requestId: 'r1',
        tool: 'Write',
        input: { file_path: 'notes.md', content: 'hello\nworld' },
        request: 'tool' as const,
      },
      {
        agentId: 'frodo-1',
        requestId: 'r2',
        tool: 'Bash',
        input: { command: 'npm test' },
        request: 'tool' as const,
      },
      {
        agentId: 'frodo-1',
        requestId: 'r3',
        tool: 'ExitPlanMode',
        input: { plan: '1. Sweep\n2. **Mop**' },
        request: 'plan' as const,
      },
    ];
    await send(
      page,
      squad(
        [
          JAKE,
          row({
            id: 'frodo-1',
            name: 'Frodo',
            state: 'waiting',
            stateReason: 'permission',
            pendingApprovals: 3,
          }),
        ],
        approvals,
      ),
    );
    await expect
      .poll(() => view(page).locator('li.agent .badge.needs-approval').textContent())
      .toContain('needs approval (3)');
    await view(page).locator('li.agent', { hasText: 'Frodo' }).click();
    await send(page, {
      type: 'transcript',
      agentId: 'frodo-1',
      reset: true,
      more: false,
      events: [],
    });
    const cards = view(page).locator('.approvals .approval');
    await expect.poll(() => cards.count()).toBe(3);
    expect(await cards.nth(0).locator('.diff .add').count()).toBe(2); // a Write shows as added lines
    await cards.nth(0).getByRole('button', { name: 'Allow Write once' }).click();
    await cards.nth(1).getByRole('button', { name: 'Always allow Bash in this project' }).click();
    await cards.nth(2).locator('textarea').fill('Mop first, then sweep.');
    await cards.nth(2).getByRole('button', { name: 'Reject the plan' }).click();
    const answers = (await posted(page)).filter((m) => m.type === 'answer');
    expect(answers).toEqual([
      { type: 'answer', agentId: 'frodo-1', requestId: 'r1', decision: 'allow' },
      { type: 'answer', agentId: 'frodo-1', requestId: 'r2', decision: 'allow', always: true },
      {
        type: 'answer',
        agentId: 'frodo-1',
        requestId: 'r3',
        decision: 'deny',
        message: 'Mop first, then sweep.',
      },
    ]);
    await page.screenshot({ path: join(SHOTS, 'approvals-dark.png') });
  });

  it('never runs a script from agent text, tool input, names, errors or worker data (XSS corpus)', async () => {
    const payloads = [
      '<script>window.__xss++</script>',
      '<img src=x onerror="window.__xss++">',
      '<svg onload="window.__xss++"></svg>',
      '<iframe src="javascript:window.__xss++"></iframe>',
      '[click](javascript:window.__xss++)',
      '![img](javascript:window.__xss++)',
      '<a href="javascript:window.__xss++">a</a>',
      '"><img src=x onerror=window.__xss++>',
      '<details open ontoggle="window.__xss++">',
      '<style>*{display:none}</style>',
      '<math><mi xlink:href="javascript:window.__xss++">x</mi></math>',
      '```html\n<img src=x onerror=window.__xss++>\n```',
      '<object data="javascript:window.__xss++"></object>',
      '<body onload=window.__xss++>',
      '<input autofocus onfocus=window.__xss++>',
    ];
    const events = envelopes(
      'evil-1',
      payloads.flatMap((p, i) => [
        { kind: 'text' as const, text: `${p}\n\n` },
        { kind: 'user' as const, text: p },
        {
          kind: 'tool_use' as const,
          id: `x${i}`,
          name: p,
          input: { file_path: p, old_string: p, new_string: `${p}!` },
        },
        { kind: 'tool_result' as const, id: `x${i}`, content: p, isError: true },
        { kind: 'error' as const, message: p },
        { kind: 'notice' as const, level: 'warning' as const, message: p },
        { kind: 'report' as const, status: 'done' as const, summary: p },
      ]),
    );
    const evil = row({
      id: 'evil-1',
      name: payloads[1]!,
      description: payloads[2]!,
      workerName: payloads[0]!,
    });
    await send(
      page,
      squad(
        [JAKE, evil],
        [
          {
            agentId: 'evil-1',
            requestId: 'x',
            tool: payloads[3]!,
            input: { plan: payloads[4]!, file_path: payloads[1]! },
            request: 'tool',
          },
        ],
      ),
    );
    await send(page, {
      type: 'workers',
      localWorkerEnabled: true,
      workers: [
        {
          id: payloads[0]!,
          name: payloads[1]!,
          url: payloads[2]!,
          isLocal: false,
          status: 'down',
          error: payloads[3]!,
          agents: 0,
          engines: [{ name: payloads[4]!, available: false, reason: payloads[5]! }],
        },
      ],
    });
    await send(page, { type: 'notice', level: 'error', text: payloads[1]! });
    await view(page).locator('li.agent').nth(1).click();
    await send(page, { type: 'transcript', agentId: 'evil-1', reset: true, more: false, events });
    // Open every collapsible block that is rendered, so tool inputs and results are in the DOM.
    // Walk the whole transcript top to bottom, opening every collapsible block on the way.
    const height = await view(page)
      .locator('.transcript')
      .evaluate((t) => t.scrollHeight);
    for (let y = 0; y <= height + 800; y += 300) {
      await view(page)
        .locator('.transcript')
        .evaluate((t, top) => {
          t.scrollTop = top;
          for (const d of t.querySelectorAll('details')) (d as HTMLDetailsElement).open = true;
        }, y);
      await page.waitForTimeout(30);
    }
    await page.waitForTimeout(200);
    const report = await page.evaluate(() => {
      const app = document.getElementById('app')!;
      const bad = app.querySelectorAll(
        'script, img, svg, iframe, object, embed, style, math, input:not([type=hidden]), body',
      );
      const handlers = [...app.querySelectorAll('*')].filter((n) =>
        [...n.attributes].some((a) => a.name.startsWith('on')),
      ).length;
      const jsLinks = [...app.querySelectorAll('a')].filter((a) =>
        /^\s*javascript:/i.test(a.getAttribute('href') ?? ''),
      ).length;
      const w = window as unknown as { __xss: number; __cspViolations: number; __cspLog: string[] };
      return {
        cspLog: w.__cspLog,
        xss: w.__xss,
        csp: w.__cspViolations,
        bad: bad.length,
        handlers,
        jsLinks,
        text: app.textContent ?? '',
      };
    });
    console.log(
      `XSS corpus: ${payloads.length} payloads x ${events.length / payloads.length} event kinds + names/workers/approvals; executed ${report.xss}`,
    );
    expect(report).toMatchObject({ xss: 0, csp: 0, bad: 0, handlers: 0, jsLinks: 0 });
    expect(report.text).toContain('onerror'); // shown as text, not dropped
  });

  it('keeps a 10,000-event transcript to a bounded DOM and paints it fast', async () => {
    const events = longTranscript('long-1', 10_000);
    await send(page, squad([JAKE, row({ id: 'long-1', name: 'Sam', state: 'done' })]));
    await view(page).locator('li.agent', { hasText: 'Sam' }).click();
    const figures = await page.evaluate(
      async (message) => {
        const t0 = performance.now();
        window.postMessage(message, '*');
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        const paint = performance.now() - t0;
        const measure = (name: string): number =>
          performance.getEntriesByName(name).at(-1)?.duration ?? -1;
        return {
          validate: measure('tavern:validate'),
          draw: measure('tavern:draw'),
          paint,
          rows: document.querySelectorAll('.transcript .items > *').length,
          nodes: document.querySelectorAll('*').length,
        };
      },
      { type: 'transcript', agentId: 'long-1', reset: true, more: false, events } as const,
    );
    console.log(
      `10k events: first paint ${figures.paint.toFixed(1)} ms (validate ${figures.validate.toFixed(1)}, draw ${figures.draw.toFixed(1)}), ${figures.rows} rows, ${figures.nodes} DOM nodes`,
    );
    expect(figures.rows).toBeGreaterThan(0);
    expect(figures.rows).toBeLessThanOrEqual(300);
    expect(figures.nodes).toBeLessThan(5_000);
    // Scrolling to the top brings the first blocks in and keeps the bound.
    await view(page)
      .locator('.transcript')
      .evaluate((t) => (t.scrollTop = 0));
    await expect
      .poll(() => view(page).locator('.transcript .block.user').first().textContent())
      .toContain('Question 0');
    expect(await view(page).locator('.transcript .items > *').count()).toBeLessThanOrEqual(300);
    await expect
      .poll(() => view(page).locator('.conversation-header .cost').textContent())
      .toContain('$1.43');
  });

  it('comes back from hide/show with its last state before the host answers', async () => {
    await showJake(page, envelopes('jake', [{ kind: 'text', text: 'Welcome to the TAVERN' }]));
    await send(page, {
      type: 'workers',
      localWorkerEnabled: true,
      workers: [
        {
          id: 'w',
          name: 'local',
          url: 'ws://127.0.0.1:1/',
          isLocal: true,
          status: 'connected',
          rttMs: 1,
          agents: 0,
          engines: [{ name: 'claude', available: true }],
        },
      ],
    });
    await page.reload();
    await expect.poll(() => view(page).locator('li.agent').count()).toBe(2);
    expect(await view(page).locator('li.worker .name').textContent()).toBe('local');
    expect(await posted(page)).toEqual([{ type: 'ready' }, { type: 'openAgent', agentId: 'jake' }]);
  });

  it('looks right in the light and dark themes (screenshots under test-results/panel)', async () => {
    for (const theme of ['dark', 'light']) {
      await page.goto(`${server.url}?theme=${theme}`);
      await page.evaluate(() => sessionStorage.clear());
      await page.reload();
      await send(
        page,
        squad(
          [
            { ...JAKE, state: 'working' },
            row({
              id: 'frodo-1',
              name: 'Frodo',
              description: 'Polish the bar',
              pendingApprovals: 1,
              state: 'waiting',
              stateReason: 'permission',
            }),
            row({
              id: 'sam-1',
              name: 'Sam',
              description: 'Count the kegs',
              state: 'done',
              costUsd: 0.12,
            }),
          ],
          [
            {
              agentId: 'jake',
              requestId: 'j1',
              tool: 'Bash',
              input: { command: 'git status' },
              request: 'tool',
            },
          ],
        ),
      );
      await send(page, {
        type: 'workers',
        localWorkerEnabled: true,
        workers: [
          {
            id: 'l',
            name: 'local',
            url: 'ws://127.0.0.1:7420/',
            isLocal: true,
            status: 'connected',
            rttMs: 1,
            agents: 2,
            maxAgents: 16,
            platform: 'linux-x64',
            engines: [
              { name: 'claude', available: true },
              { name: 'scripted', available: true },
            ],
          },
        ],
      });
      await send(page, {
        type: 'transcript',
        agentId: 'jake',
        reset: true,
        more: false,
        events: envelopes('jake', [
          { kind: 'user', text: 'Polish the bar and count the kegs.' },
          {
            kind: 'text',
            text: '*slaps the counter* TWO jobs, two of my FINEST. Summoning now (they are fine).\n\n```ts\nconst kegs = 12;\n```',
          },
          {
            kind: 'tool_use',
            id: 't1',
            name: 'mcp__tavern__summon_agent',
            input: { assignment: 'Polish the bar' },
          },
          { kind: 'tool_result', id: 't1', content: 'Summoned Frodo', isError: false },
          { kind: 'error', message: 'Worker remote-1 refused the token (HTTP 401).' },
          { kind: 'state', state: 'working' },
        ]),
      });
      await page.waitForTimeout(150);
      await page.screenshot({ path: join(SHOTS, `panel-${theme}.png`) });
    }
  });
});
