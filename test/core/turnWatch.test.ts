// TurnWatch: a turn that ends without a report gives Jake the agent's last words, however
// many deltas they came in; a reported turn gives the report and nothing more.
import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../protocol/agentEvents';
import { TurnWatch } from '../../extension/core/coordinator/turnWatch';

function feed(watch: TurnWatch, agentId: string, events: AgentEvent[]) {
  return events.map((event, i) => watch.observe({ agentId, seq: i + 1, time: 0, event }));
}

const waiting: AgentEvent = { kind: 'state', state: 'waiting', reason: 'input' };

describe('TurnWatch', () => {
  it('tells the last 400 characters of a turn streamed in 10,000 deltas', () => {
    const watch = new TurnWatch();
    const deltas: AgentEvent[] = Array.from({ length: 10_000 }, (_, i) => ({
      kind: 'text',
      text: `${String(i).padStart(5, '0')} `,
    }));
    const out = feed(watch, 'frodo', [{ kind: 'state', state: 'working' }, ...deltas, waiting]);
    const all = deltas.map((d) => (d.kind === 'text' ? d.text : '')).join('');
    expect(out.slice(0, -1).every((o) => o === undefined)).toBe(true);
    expect(out.at(-1)).toEqual({ status: 'no_report', summary: `…${all.trim().slice(-400)}` });
  });

  it('tells a short turn whole, a silent one as silent, and nothing after a report', () => {
    const watch = new TurnWatch();
    const working: AgentEvent = { kind: 'state', state: 'working' };
    expect(
      feed(watch, 'sam', [
        working,
        { kind: 'text', text: ' Done with ' },
        { kind: 'text', text: 'the bar. ' },
        waiting,
      ]).at(-1),
    ).toEqual({ status: 'no_report', summary: 'Done with the bar.' });
    expect(feed(watch, 'sam', [working, waiting]).at(-1)).toEqual({
      status: 'no_report',
      summary: '(it said nothing)',
    });
    const reported = feed(watch, 'sam', [
      working,
      { kind: 'text', text: 'Shipped.' },
      { kind: 'report', status: 'done', summary: 'Shipped the ale.' },
      waiting,
    ]);
    expect(reported.slice(2)).toEqual([{ status: 'done', summary: 'Shipped the ale.' }, undefined]);
  });
});
