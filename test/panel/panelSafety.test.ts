// The panel's safety and scale in Chromium: approvals post the right answers, a corpus of
// XSS payloads never runs, and a 10,000-event transcript keeps the DOM bounded.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envelopes, JAKE, longTranscript, row, squad } from './fixtures';
import type { HostMessage } from '../../protocol/webview';
import { framesDrawn, openTranscript, posted, send, SHOTS, usePanelPage, view } from './panelPage';

const panel = usePanelPage();

describe('the Tavern panel: approvals, XSS, scale', () => {
  it('shows approvals as cards and badges, and posts the answers', async () => {
    const approvals = [
      {
        agentId: 'frodo-1',
        requestId: 'r1',
        workerLabel: 'local worker',
        tool: 'Write',
        input: { file_path: 'notes.md', content: 'hello\nworld' },
        request: 'tool' as const,
      },
      {
        agentId: 'frodo-1',
        requestId: 'r2',
        workerLabel: 'local worker',
        tool: 'Bash',
        input: { command: 'npm test' },
        request: 'tool' as const,
      },
      {
        agentId: 'frodo-1',
        requestId: 'r3',
        workerLabel: 'local worker',
        tool: 'ExitPlanMode',
        input: { plan: '1. Sweep\n2. **Mop**' },
        request: 'plan' as const,
      },
    ];
    await send(
      panel.page,
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
      .poll(() => view(panel.page).locator('li.agent .badge.needs-approval').textContent())
      .toContain('needs approval (3)');
    await openTranscript(panel.page, 'Frodo', 'frodo-1', []);
    const cards = view(panel.page).locator('.approvals .approval');
    await expect.poll(() => cards.count()).toBe(3);
    expect(await cards.nth(0).locator('.diff .add').count()).toBe(2); // a Write shows as added lines
    await cards.nth(0).getByRole('button', { name: 'Allow Write once' }).click();
    await cards
      .nth(1)
      .getByRole('button', { name: 'Always allow Bash on the local worker, in this project' })
      .click();
    await cards.nth(2).locator('textarea').fill('Mop first, then sweep.');
    await cards.nth(2).getByRole('button', { name: 'Reject the plan' }).click();
    const answers = (await posted(panel.page)).filter((m) => m.type === 'answer');
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
    await panel.page.screenshot({ path: join(SHOTS, 'approvals-dark.png') });
    // Paused on approvals is still mid-turn: Stop is offered and interrupts the agent.
    await view(panel.page).getByRole('button', { name: 'Stop (interrupt the agent)' }).click();
    expect((await posted(panel.page)).filter((m) => m.type === 'interrupt')).toEqual([
      { type: 'interrupt', agentId: 'frodo-1' },
    ]);
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
      panel.page,
      squad(
        [JAKE, evil],
        [
          {
            agentId: 'evil-1',
            requestId: 'x',
            workerLabel: payloads[0]!,
            tool: payloads[3]!,
            input: { plan: payloads[4]!, file_path: payloads[1]! },
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
          id: payloads[0]!,
          name: payloads[1]!,
          url: payloads[2]!,
          isLocal: false,
          status: 'down',
          error: payloads[3]!,
          agents: 0,
          engines: [{ name: payloads[4]!, available: false, reason: payloads[5]! }],
        },
        {
          id: payloads[6]!,
          name: payloads[7]!,
          url: payloads[8]!,
          isLocal: false,
          status: 'connected',
          agents: 0,
          engines: [],
          group: payloads[9]!,
          draining: true,
        },
      ],
      groups: [
        {
          id: payloads[9]!,
          name: payloads[10]!,
          kind: payloads[11]!,
          state: 'error',
          message: payloads[12]!,
        },
      ],
    });
    await send(panel.page, { type: 'notice', level: 'error', text: payloads[1]! });
    await view(panel.page).locator('li.agent').nth(1).click();
    await send(panel.page, {
      type: 'transcript',
      agentId: 'evil-1',
      reset: true,
      more: false,
      events,
    });
    // Open every collapsible block that is rendered, so tool inputs and results are in the DOM.
    // Walk the whole transcript top to bottom, opening every collapsible block on the way.
    const height = await view(panel.page)
      .locator('.transcript')
      .evaluate((t) => t.scrollHeight);
    for (let y = 0; y <= height + 800; y += 300) {
      await view(panel.page)
        .locator('.transcript')
        .evaluate((t, top) => {
          t.scrollTop = top;
          for (const d of t.querySelectorAll('details')) (d as HTMLDetailsElement).open = true;
        }, y);
      await framesDrawn(panel.page);
    }
    await framesDrawn(panel.page);
    const report = await panel.page.evaluate(() => {
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
    // The header shows the agent's totals as the host counts them (protocol/usage.ts), not a
    // sum of whatever part of the transcript is loaded.
    await send(
      panel.page,
      squad([JAKE, row({ id: 'long-1', name: 'Sam', state: 'done', costUsd: 1.43 })]),
    );
    await view(panel.page).locator('li.agent', { hasText: 'Sam' }).click();
    const figures = await panel.page.evaluate(
      async (message) => {
        const t0 = performance.now();
        window.postMessage(message, '*');
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        const paint = performance.now() - t0;
        return {
          paint,
          rows: document.querySelectorAll('.transcript .items > *').length,
          nodes: document.querySelectorAll('*').length,
        };
      },
      { type: 'transcript', agentId: 'long-1', reset: true, more: false, events } as const,
    );
    console.log(
      `10k events: first paint ${figures.paint.toFixed(1)} ms, ${figures.rows} rows, ${figures.nodes} DOM nodes`,
    );
    expect(figures.rows).toBeGreaterThan(0);
    expect(figures.rows).toBeLessThanOrEqual(300);
    expect(figures.nodes).toBeLessThan(5_000);
    // Older events follow in chunks after the first paint; the transcript is busy till then.
    await expect
      .poll(() => view(panel.page).locator('.transcript').getAttribute('aria-busy'))
      .toBe('false');
    // Scrolling to the top brings the first blocks in and keeps the bound.
    await view(panel.page)
      .locator('.transcript')
      .evaluate((t) => (t.scrollTop = 0));
    await expect
      .poll(() => view(panel.page).locator('.transcript .block.user').first().textContent())
      .toContain('Question 0');
    expect(await view(panel.page).locator('.transcript .items > *').count()).toBeLessThanOrEqual(
      300,
    );
    await expect
      .poll(() => view(panel.page).locator('.conversation-header .cost').textContent())
      .toContain('$1.43');
  });

  it('leaves out a malformed event, shows the rest of the page and says so', async () => {
    await send(panel.page, squad([JAKE, row({ id: 'frodo-1', name: 'Frodo', state: 'done' })]));
    await view(panel.page).locator('li.agent', { hasText: 'Frodo' }).click();
    const [asked, answered] = envelopes('frodo-1', [
      { kind: 'user', text: 'First words.' },
      { kind: 'text', text: 'Last words.' },
    ]);
    const broken = { agentId: 'frodo-1', seq: 'two', event: { kind: 'no-such-kind' } };
    await send(panel.page, {
      type: 'transcript',
      agentId: 'frodo-1',
      reset: true,
      more: false,
      events: [asked, broken, answered],
    } as unknown as HostMessage);
    const transcript = view(panel.page).locator('.transcript');
    await expect.poll(() => transcript.textContent()).toContain('Last words.');
    expect(await transcript.textContent()).toContain('First words.');
    await expect
      .poll(() => view(panel.page).locator('.local-note').textContent())
      .toContain('1 event(s) of this transcript could not be read');
  });
});
