import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hello, openRaw, upgradeStatus } from '../helpers/rawRpc';
import { startWorker, type RunningWorker } from '../helpers/workerProcess';

describe('worker upgrade auth', () => {
  let w: RunningWorker;
  beforeAll(async () => {
    w = await startWorker({ args: ['--allow-origin', 'vscode-webview://allowed'] });
  });
  afterAll(async () => {
    await w.kill();
  });

  it('accepts the right bearer token', async () => {
    expect((await upgradeStatus(w.baseUrl, { Authorization: `Bearer ${w.token}` })).status).toBe(
      101,
    );
  });

  it('refuses a missing or wrong token with 401 and a hint', async () => {
    const missing = await upgradeStatus(w.baseUrl, {});
    expect(missing.status).toBe(401);
    expect(missing.body).toMatch(/Authorization: Bearer/);
    const wrong = await upgradeStatus(w.baseUrl, {
      Authorization: 'Bearer not-the-token-0123456789',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatch(/Wrong token/);
  });

  it('refuses a token in the query string even when it is right', async () => {
    const r = await upgradeStatus(`${w.baseUrl}?token=${encodeURIComponent(w.token)}`, {});
    expect(r.status).toBe(401);
    expect(r.body).toMatch(/query string/);
  });

  it('refuses browser origins that are not allowed, accepts allowed ones', async () => {
    const bad = await upgradeStatus(w.baseUrl, {
      Authorization: `Bearer ${w.token}`,
      Origin: 'https://evil.example',
    });
    expect(bad.status).toBe(403);
    const good = await upgradeStatus(w.baseUrl, {
      Authorization: `Bearer ${w.token}`,
      Origin: 'vscode-webview://allowed',
    });
    expect(good.status).toBe(101);
  });

  it('never writes the token to its log', () => {
    expect(w.stderr()).not.toContain(w.token);
  });
});

describe('worker lockout', () => {
  it('answers wrong tokens 429 after repeated failures from one address, but never refuses the right one', async () => {
    const w = await startWorker();
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++)
        statuses.push(
          (await upgradeStatus(w.baseUrl, { Authorization: `Bearer wrong-token-attempt-${i}` }))
            .status,
        );
      expect(statuses.every((s) => s === 401)).toBe(true);
      const locked = await upgradeStatus(w.baseUrl, { Authorization: 'Bearer wrong-again-0000' });
      expect(locked.status).toBe(429);
      expect(Number(locked.retryAfter)).toBeGreaterThan(0);
      expect(locked.body).toMatch(/right token is still accepted/);
      // Any local process can fail from 127.0.0.1: that must not lock the rightful client out.
      expect((await upgradeStatus(w.baseUrl, { Authorization: `Bearer ${w.token}` })).status).toBe(
        101,
      );
      expect(
        (await upgradeStatus(w.baseUrl, { Authorization: 'Bearer wrong-after-right-0' })).status,
      ).toBe(429);
      // The log names the refusals without one line per attempt.
      expect(w.stderr().match(/refused connection from/g)?.length ?? 0).toBeLessThanOrEqual(2);
    } finally {
      await w.kill();
    }
  });
});

describe('worker CLI', () => {
  it('refuses a non-loopback host without TLS, and starts with --insecure', async () => {
    await expect(startWorker({ args: ['--host', '0.0.0.0'] })).rejects.toThrow(
      /Refusing to listen on 0\.0\.0\.0 without TLS/,
    );
    const w = await startWorker({ args: ['--host', '0.0.0.0', '--insecure'] });
    expect(w.attachUrl).toMatch(/^ws:\/\/0\.0\.0\.0:\d+\/#token=/);
    await w.kill();
  });

  it('exits 0 on SIGTERM after flushing, and keeps journals for the next start', async () => {
    const w = await startWorker();
    const peer = await openRaw(w);
    await hello(peer);
    const spawned = await peer.call('agent/spawn', {
      name: 'Merry',
      engine: 'scripted',
      assignment: '[[stream 50 10]] [[wait 60000]]',
    });
    const agentId = (spawned.result as { agentId: string }).agentId;
    for (;;) {
      const m = await peer.next();
      const params = m.params as { seq?: number } | undefined;
      if (params?.seq === 30) break;
    }
    expect(await w.stop()).toBe(0);
    expect(w.stderr()).toMatch(/SIGTERM: interrupting agents, flushing journals/);

    const again = await startWorker({ stateDir: w.stateDir });
    try {
      const p2 = await openRaw(again);
      await hello(p2);
      const replay = (await p2.call('agent/replay', { agentId, afterSeq: 0 })).result as {
        events: { seq: number; event: { kind: string; state?: string } }[];
      };
      expect(replay.events.length).toBeGreaterThan(50);
      expect(replay.events.map((e) => e.seq)).toEqual(replay.events.map((_, i) => i + 1));
      expect(
        replay.events.some((e) => e.event.kind === 'state' && e.event.state === 'interrupted'),
      ).toBe(true);
    } finally {
      await again.kill();
    }
  });
});
