// The transcript under a stream of long texts, in real Chromium: what the panel lays out per
// frame is what fills the screen, not every block that arrived (laying out text is most of
// what the panel costs at tens of thousands of events per second).
import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../protocol/agentEvents';
import { envelopes, JAKE, row, squad } from './fixtures';
import { framesDrawn, openTranscript, posted, send, usePanelPage, view } from './panelPage';

const panel = usePanelPage();

/** A paragraph of about `chars` characters that says which it is. */
const paragraph = (n: number, chars: number): string =>
  `Burst paragraph ${n}. ${'The ale flows and the agents work. '.repeat(Math.ceil(chars / 35))}`;

async function openFrodo(extra: Parameters<typeof squad>[1] = [], branch?: string): Promise<void> {
  await send(
    panel.page,
    squad([JAKE, row({ id: 'frodo-1', name: 'Frodo', ...(branch ? { branch } : {}) })], extra),
  );
  const asked = envelopes('frodo-1', [{ kind: 'user', text: 'Write forty long paragraphs.' }]);
  await openTranscript(panel.page, 'Frodo', 'frodo-1', asked);
  await expect
    .poll(() => view(panel.page).locator('.transcript').textContent())
    .toContain('forty long paragraphs');
}

/** Counts the block nodes put into the transcript from now on. */
async function countInserted(): Promise<() => Promise<number>> {
  await panel.page.evaluate(() => {
    const w = window as unknown as { __inserted: number };
    w.__inserted = 0;
    new MutationObserver((records) => {
      for (const r of records) w.__inserted += r.addedNodes.length;
    }).observe(document.querySelector('.transcript .items')!, { childList: true });
  });
  return () => panel.page.evaluate(() => (window as unknown as { __inserted: number }).__inserted);
}

describe('the transcript under a stream of long texts', () => {
  it('lays out only the blocks that fill the screen while stuck to the end, and the rest when scrolled to', async () => {
    await openFrodo();
    const inserted = await countInserted();
    // 40 paragraphs of ~5,000 characters (each many screens tall in a 420 px panel), each
    // closed by a thought, in one batch: one frame's worth of a fast stream.
    const events: AgentEvent[] = [];
    for (let n = 1; n <= 40; n++)
      events.push({ kind: 'text', text: paragraph(n, 5_000) }, { kind: 'thinking', text: '.' });
    events.push({ kind: 'text', text: 'The very last words.' });
    await send(panel.page, {
      type: 'events',
      agentId: 'frodo-1',
      events: envelopes('frodo-1', events, 2),
    });
    const transcript = view(panel.page).locator('.transcript');
    await expect
      .poll(() => transcript.locator('.items > *').last().textContent())
      .toContain('The very last words.');
    await framesDrawn(panel.page, 3);
    // The last blocks only: drawn by estimated heights, ~30 blocks went in (every paragraph
    // laid out), to be dropped a frame later.
    expect(await inserted()).toBeLessThanOrEqual(5);
    const end = await transcript.evaluate((t) => t.scrollHeight - t.scrollTop - t.clientHeight);
    expect(end).toBeLessThan(2);
    // Scrolled to the top, the first paragraph is drawn, and the view stays there as the
    // stream goes on.
    await transcript.evaluate((t) => (t.scrollTop = 0));
    await expect
      .poll(() => transcript.locator('.items').textContent())
      .toContain('Burst paragraph 1.');
    await send(panel.page, {
      type: 'events',
      agentId: 'frodo-1',
      events: envelopes('frodo-1', [{ kind: 'text', text: ' More.' }], 2 + events.length),
    });
    await framesDrawn(panel.page, 3);
    expect(await transcript.evaluate((t) => t.scrollTop)).toBeLessThan(600);
    expect(await transcript.locator('.items').textContent()).toContain('Burst paragraph 1.');
  });

  it('keeps the approval cards and the review box it shows while the agent streams (clicks land)', async () => {
    const approval = {
      agentId: 'frodo-1',
      requestId: 'r1',
      workerLabel: 'local worker',
      tool: 'Bash',
      input: { command: 'npm test' },
      request: 'tool' as const,
    };
    await openFrodo([approval], 'tavern/frodo');
    const card = view(panel.page).locator('.approvals .approval');
    const changes = view(panel.page).locator('.changes-box details');
    await expect.poll(() => card.count()).toBe(1);
    await expect.poll(() => changes.count()).toBe(1);
    // Marked nodes: a redraw replaces them (and a click between mousedown and mouseup is lost).
    await card.evaluate((n) => (n.dataset.mark = 'kept'));
    await changes.evaluate((n) => (n.dataset.mark = 'kept'));
    for (let i = 0; i < 10; i++) {
      await send(panel.page, {
        type: 'events',
        agentId: 'frodo-1',
        events: envelopes('frodo-1', [{ kind: 'text', text: `word ${i} ` }], 2 + i),
      });
      await framesDrawn(panel.page, 1);
    }
    await expect
      .poll(() => view(panel.page).locator('.transcript').textContent())
      .toContain('word 9');
    expect(await card.getAttribute('data-mark')).toBe('kept');
    expect(await changes.getAttribute('data-mark')).toBe('kept');
    // A change of state still redraws them (the agent went on working: the card stays).
    await send(panel.page, {
      type: 'events',
      agentId: 'frodo-1',
      events: envelopes('frodo-1', [{ kind: 'state', state: 'working' }], 12),
    });
    await expect.poll(() => card.getAttribute('data-mark')).toBeNull();
    await card
      .getByRole('button', { name: /^Allow/ })
      .first()
      .click();
    expect(await posted(panel.page)).toContainEqual(
      expect.objectContaining({ type: 'answer', requestId: 'r1', decision: 'allow' }),
    );
  });
});
