import { describe, expect, it } from 'vitest';
import { parseScript } from '../../runtime/engines/scripted';

describe('scripted engine directives', () => {
  it('reads plain text and directives in order', () => {
    expect(parseScript('hi [[stream 3 5]] there [[done ok]]')).toEqual([
      { kind: 'echo', text: 'hi' },
      { kind: 'directive', name: 'stream', arg: '3 5' },
      { kind: 'echo', text: 'there' },
      { kind: 'directive', name: 'done', arg: 'ok' },
    ]);
  });

  it('reads a tool call whose JSON holds directives of its own', () => {
    const steps = parseScript(
      'go [[tool summon_agent {"assignment": "[[wait 5]] [[done a } b]]"}]] after',
    );
    expect(steps).toEqual([
      { kind: 'echo', text: 'go' },
      {
        kind: 'directive',
        name: 'tool',
        arg: 'summon_agent {"assignment": "[[wait 5]] [[done a } b]]"}',
      },
      { kind: 'echo', text: 'after' },
    ]);
  });
});
