// The permission relay in plain Node: requests wait for a coordinator, the first answer wins,
// late coordinators get pending requests, timeouts and interrupts deny with a reason.
import { describe, expect, it } from 'vitest';
import type { PermissionDecision, PermissionRequestParams } from '../../protocol/wire';
import { createLogger } from '../../runtime/log';
import { PermissionBroker, type PermissionPeer } from '../../runtime/permissionBroker';

const quiet = createLogger('error', () => undefined);
const ask = { agentId: 'a1', tool: 'Write', input: { file_path: 'x' }, request: 'tool' as const };

/** A coordinator whose answers the test gives by hand. */
function peer(id: string): PermissionPeer & {
  asked: PermissionRequestParams[];
  answer(d: PermissionDecision): void;
  settled: string[];
} {
  const resolvers: ((d: PermissionDecision) => void)[] = [];
  const asked: PermissionRequestParams[] = [];
  const settled: string[] = [];
  return {
    id,
    asked,
    settled,
    requestPermission: (params) => {
      asked.push(params);
      return new Promise((resolve) => resolvers.push(resolve));
    },
    notifyPermissionSettled: (params) => settled.push(`${params.requestId}:${params.decision}`),
    answer: (d) => resolvers.shift()?.(d),
  };
}

describe('PermissionBroker', () => {
  it('waits for a coordinator to attach, then asks it', async () => {
    const broker = new PermissionBroker(60_000, quiet);
    const { decision } = broker.request(ask);
    expect(broker.pendingFor('a1')).toBe(1);
    const late = peer('late');
    broker.attach(late);
    expect(late.asked).toHaveLength(1);
    late.answer({ decision: 'allow' });
    expect(await decision).toEqual({ decision: 'allow' });
    expect(broker.pendingFor('a1')).toBe(0);
  });

  it('takes the first answer and tells the other coordinators it was settled', async () => {
    const broker = new PermissionBroker(60_000, quiet);
    const a = peer('a');
    const b = peer('b');
    broker.attach(a);
    broker.attach(b);
    const { requestId, decision } = broker.request(ask);
    b.answer({ decision: 'deny', message: 'no' });
    a.answer({ decision: 'allow' });
    expect(await decision).toEqual({ decision: 'deny', message: 'no' });
    expect(a.settled).toEqual([`${requestId}:deny`]);
    expect(b.settled).toEqual([]);
  });

  it('re-asks a coordinator that reconnects after failing to answer', async () => {
    const broker = new PermissionBroker(60_000, quiet);
    const flaky: PermissionPeer = {
      id: 'flaky',
      requestPermission: () => Promise.reject(new Error('connection closed')),
      notifyPermissionSettled: () => undefined,
    };
    broker.attach(flaky);
    const { decision } = broker.request(ask);
    broker.detach(flaky);
    await Promise.resolve();
    const back = peer('back');
    broker.attach(back);
    expect(back.asked).toHaveLength(1);
    back.answer({ decision: 'allow' });
    expect((await decision).decision).toBe('allow');
  });

  it('denies with a clear message when nobody answers in time', async () => {
    const broker = new PermissionBroker(30, quiet);
    const { decision } = broker.request(ask);
    const result = await decision;
    expect(result.decision).toBe('deny');
    expect(result.message).toMatch(/No decision arrived within 0 s.*--permission-timeout/);
  });

  it('denies when the agent is interrupted', async () => {
    const broker = new PermissionBroker(60_000, quiet);
    const abort = new AbortController();
    const { decision } = broker.request(ask, abort.signal);
    abort.abort();
    expect(await decision).toEqual({ decision: 'deny', message: 'The agent was interrupted.' });
  });
});
