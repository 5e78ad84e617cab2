// The Tavern panel in a real browser (Debian's Chromium via playwright-core) on the built
// webview, with the extension's HTML and CSP. The test plays the host: it sends the messages
// the extension sends and reads what the panel posts back.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envelopes, JAKE, row, squad } from './fixtures';
import { THEMES } from './panelServer';
import type { Page } from 'playwright-core';
import type { WorkerGroupRow, WorkerRow } from '../../protocol/webview';
import { framesDrawn, posted, send, SHOTS, usePanelPage, view } from './panelPage';

const panel = usePanelPage();

const pod = (name: string, extra: Partial<WorkerRow> = {}): WorkerRow => ({
  id: `fleet:prod/${name}`,
  name,
  url: 'wss://127.0.0.1:41234/',
  isLocal: false,
  status: 'connected',
  rttMs: 4,
  agents: 3,
  maxAgents: 16,
  platform: 'linux-x64',
  engines: [{ name: 'claude', available: true }],
  group: 'fleet:prod',
  ...extra,
});
const FLEET_WORKERS: WorkerRow[] = [
  pod('tavern-worker-0'),
  pod('tavern-worker-1', { draining: true }),
];
const FLEET_GROUPS: WorkerGroupRow[] = [
  {
    id: 'fleet:prod',
    name: 'prod',
    kind: 'kubernetes',
    state: 'ready',
    message: '2 of 2 Ready pods attached (context "prod", namespace "tavern", via port-forward).',
  },
  {
    id: 'fleet:staging',
    name: 'staging',
    kind: 'kubernetes',
    state: 'error',
    message:
      'Forbidden by RBAC: context "staging" (https://10.0.0.1:6443) may not list pods in namespace "tavern".',
  },
];

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
    expect((await posted(panel.page))[0]).toEqual({ type: 'ready' });
    await showJake(panel.page);
    expect(await posted(panel.page)).toContainEqual({ type: 'openAgent', agentId: 'jake' });
    await expect
      .poll(() => view(panel.page).locator('.conversation-header .title').textContent())
      .toContain('The Proprietor');
    const words = ['STEP ', 'RIGHT ', 'UP, ', 'friend!', '\n\n```ts\nconst ale = 1;\n```'];
    let seq = 2;
    await send(panel.page, {
      type: 'events',
      agentId: 'jake',
      events: envelopes('jake', [{ kind: 'state', state: 'working' }], seq++),
    });
    await expect.poll(() => view(panel.page).locator('.cogitating').isVisible()).toBe(true);
    for (const w of words) {
      await send(panel.page, {
        type: 'events',
        agentId: 'jake',
        events: envelopes('jake', [{ kind: 'text', text: w }], seq++),
      });
    }
    await expect
      .poll(() => view(panel.page).locator('.block.text').first().textContent())
      .toContain('STEP RIGHT UP, friend!');
    // One text block for all deltas, the code highlighted as spans, no raw markdown left.
    expect(await view(panel.page).locator('.block.text').count()).toBe(1);
    expect(
      await view(panel.page).locator('.block.text pre code .hljs-keyword').first().textContent(),
    ).toBe('const');
    await send(panel.page, {
      type: 'events',
      agentId: 'jake',
      events: envelopes('jake', [{ kind: 'state', state: 'waiting', reason: 'input' }], seq++),
    });
    await expect.poll(() => view(panel.page).locator('.cogitating').isVisible()).toBe(false);
  });

  it('sends on Enter, adds a line on Shift+Enter, and runs slash commands', async () => {
    await showJake(panel.page);
    const input = view(panel.page).locator('textarea.input');
    await input.click();
    await input.type('first line');
    await panel.page.keyboard.press('Shift+Enter');
    await input.type('second line');
    await panel.page.keyboard.press('Enter');
    expect(await posted(panel.page)).toContainEqual({
      type: 'send',
      agentId: 'jake',
      text: 'first line\nsecond line',
    });
    expect(await input.inputValue()).toBe('');
    await input.type('/help');
    await panel.page.keyboard.press('Enter');
    await expect
      .poll(() => view(panel.page).locator('.local-note').textContent())
      .toContain('/dismiss');
    await input.type('/dismiss');
    await panel.page.keyboard.press('Enter');
    await expect
      .poll(() => view(panel.page).locator('.local-note').textContent())
      .toContain('cannot be dismissed');
    // Another agent: /dismiss posts, clicking the row opens its transcript.
    await view(panel.page).locator('li.agent', { hasText: 'Frodo' }).click();
    expect(await posted(panel.page)).toContainEqual({ type: 'openAgent', agentId: 'frodo-1' });
    await send(panel.page, {
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
    // One cost model: the turn line shows that turn; the header and /cost show the totals the
    // host keeps for the agent (its squad row).
    await expect
      .poll(() => view(panel.page).locator('.transcript .block.result').textContent())
      .toContain('1.2k in · 300 out · $0.25');
    await send(
      panel.page,
      squad([
        JAKE,
        row({ id: 'frodo-1', name: 'Frodo', inputTokens: 3400, outputTokens: 700, costUsd: 0.61 }),
      ]),
    );
    await expect
      .poll(() => view(panel.page).locator('.conversation-header .cost').textContent())
      .toBe('3.4k in · 700 out · $0.61');
    await input.type('/cost');
    await panel.page.keyboard.press('Enter');
    await expect
      .poll(() => view(panel.page).locator('.local-note').textContent())
      .toContain('3.4k in · 700 out · $0.61');
    await input.type('/dismiss');
    await panel.page.keyboard.press('Enter');
    expect(await posted(panel.page)).toContainEqual({ type: 'dismiss', agentId: 'frodo-1' });
    await input.type('/bogus');
    await panel.page.keyboard.press('Enter');
    await expect
      .poll(() => view(panel.page).locator('.local-note').textContent())
      .toContain('Unknown command /bogus');
    expect(await input.inputValue()).toBe('/bogus'); // kept, so a typo can be fixed
  });

  it('keeps keyboard focus on a squad row while other agents change, and moves with the arrows', async () => {
    const frodo = row({ id: 'frodo-1', name: 'Frodo', state: 'working' });
    const sam = row({ id: 'sam-1', name: 'Sam', state: 'working' });
    await send(panel.page, squad([JAKE, frodo, sam]));
    const rows = view(panel.page).locator('li.agent');
    await expect.poll(() => rows.count()).toBe(3);
    await rows.nth(1).focus();
    const jakeBefore = await rows.nth(0).elementHandle();
    const frodoBefore = await rows.nth(1).elementHandle();
    // Sam finishes and Frodo gets an approval: Frodo's row is rebuilt, the focus stays on it.
    await send(
      panel.page,
      squad([JAKE, { ...frodo, pendingApprovals: 1 }, { ...sam, state: 'done' }]),
    );
    await expect.poll(() => rows.nth(2).getAttribute('class')).toContain('state-done');
    const focused = (): Promise<string | undefined> =>
      panel.page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.agentId);
    expect(await focused()).toBe('frodo-1');
    // Jake's row was left alone (the same element); Frodo's was rebuilt.
    expect(await jakeBefore?.evaluate((r) => r.isConnected)).toBe(true);
    expect(await frodoBefore?.evaluate((r) => r.isConnected)).toBe(false);
    await panel.page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('sam-1');
    await panel.page.keyboard.press('Enter');
    expect((await posted(panel.page)).at(-1)).toEqual({ type: 'openAgent', agentId: 'sam-1' });
  });

  it('comes back from hide/show with its last state before the host answers', async () => {
    await showJake(
      panel.page,
      envelopes('jake', [{ kind: 'text', text: 'Welcome to the TAVERN' }]),
    );
    await send(panel.page, {
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
    // postMessage is delivered later: wait until the panel has shown (and saved) the worker.
    await view(panel.page).locator('li.worker .name', { hasText: 'local' }).waitFor();
    await panel.page.reload();
    await expect.poll(() => view(panel.page).locator('li.agent').count()).toBe(2);
    expect(await view(panel.page).locator('li.worker .name').textContent()).toBe('local');
    expect(await posted(panel.page)).toEqual([
      { type: 'ready' },
      { type: 'openAgent', agentId: 'jake' },
    ]);
  });

  it("groups a fleet's workers under the fleet, which shows its own state", async () => {
    await send(panel.page, {
      type: 'workers',
      localWorkerEnabled: true,
      workers: [
        {
          id: 'l',
          name: 'local',
          url: 'ws://127.0.0.1:7420/',
          isLocal: true,
          status: 'connected',
          agents: 0,
          engines: [],
        },
        ...FLEET_WORKERS,
      ],
      groups: FLEET_GROUPS,
    });
    const workers = view(panel.page).locator('.workers-body');
    await workers.locator('li.worker-group').first().waitFor();
    // The local worker stays on top, ungrouped, with its Restart.
    expect(await workers.locator(':scope > ul > li.worker .name').allTextContents()).toEqual([
      'local',
    ]);
    const groups = workers.locator('li.worker-group');
    expect(await groups.locator('.worker-group-head .name').allTextContents()).toEqual([
      'prod',
      'staging',
    ]);
    const prod = groups.nth(0);
    expect(await prod.locator('.count').textContent()).toBe('2/2 connected');
    expect(await prod.locator('li.worker .name').allTextContents()).toEqual([
      'tavern-worker-0',
      'tavern-worker-1',
    ]);
    expect(await prod.locator('li.worker.draining .details span').first().textContent()).toMatch(
      /^draining/,
    );
    // Pods come and go with the cluster: no Detach on them.
    expect(await prod.locator('button').count()).toBe(0);
    const staging = groups.nth(1);
    expect(await staging.getAttribute('class')).toContain('state-error');
    expect(await staging.locator('.group-message').textContent()).toContain('Forbidden by RBAC');
    expect(await staging.locator('li.worker').count()).toBe(0);
  });

  it('looks right in the light, dark and high contrast themes (screenshots under test-results/panel)', async () => {
    for (const theme of ['dark', 'light', 'high-contrast']) {
      await panel.page.goto(`${panel.server.url}?theme=${theme}`);
      await panel.page.evaluate(() => sessionStorage.clear());
      await panel.page.reload();
      await send(
        panel.page,
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
              workerLabel: 'local worker',
              tool: 'Bash',
              input: { command: 'git status' },
              request: 'tool',
            },
          ],
        ),
      );
      await send(panel.page, {
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
          ...FLEET_WORKERS,
        ],
        groups: FLEET_GROUPS,
      });
      await send(panel.page, {
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
      await view(panel.page).locator('.transcript .block.error').waitFor();
      await framesDrawn(panel.page);
      await panel.page.screenshot({ path: join(SHOTS, `panel-${theme}.png`) });
      // The panel paints with the theme's own colours, and outlines rows only in high contrast.
      const painted = await panel.page.evaluate(() => ({
        text: getComputedStyle(document.body).color,
        rowBorder: getComputedStyle(document.querySelector('li.agent:not(.selected)')!)
          .borderTopColor,
      }));
      expect(painted.text).toBe(rgb(THEMES[theme]!['--vscode-foreground']!));
      expect(painted.rowBorder).toBe(
        theme === 'high-contrast' ? rgb('#6fc3df') : 'rgba(0, 0, 0, 0)',
      );
    }
  });
});

/** '#rrggbb' as getComputedStyle writes it. */
function rgb(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}
