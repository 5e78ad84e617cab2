import { describe, expect, it } from 'vitest';
import { AgentStates } from '../../extension/core/workers/agentStates';

describe('AgentStates', () => {
  it('counts the agents that are not dismissed as their states change', () => {
    const states = new AgentStates([
      ['a', 'working'],
      ['b', 'dismissed'],
    ]);
    expect(states.live).toBe(1);
    states.set('c', 'placing');
    states.set('c', 'idle'); // a change, not another agent
    expect(states.live).toBe(2);
    states.set('a', 'dismissed');
    expect(states.live).toBe(1);
    states.set('b', 'working'); // restored
    expect(states.live).toBe(2);
    states.delete('c');
    states.delete('nobody');
    expect(states.live).toBe(1);
    expect([...states.entries()]).toEqual([
      ['a', 'dismissed'],
      ['b', 'working'],
    ]);
  });
});
