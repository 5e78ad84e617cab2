// The offline demo, through the real coordinator and a real worker process: Jake (no model)
// answers, summons two scripted agents that stream, one asks for an approval, both report,
// and he relays both reports. Messages with [[directives]] still run as they are.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentEventEnvelope } from '../../protocol/agentEvents';
import { Coordinator } from '../../extension/core/coordinator/coordinator';
import { DemoJakeEngine, demoScript } from '../../extension/core/jake/demoJake';
import { Jake } from '../../extension/core/jake/jake';
import { WorkerPool } from '../../extension/core/workers/workerPool';
import { startWorker } from '../helpers/workerProcess';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('the offline demo', () => {
  it('plays the whole flow: two agents stream, one asks, both report, Jake relays', async () => {
    const worker = await startWorker();
    cleanups.push(() => worker.kill());
    const pool = new WorkerPool({ clientName: 'test', clientVersion: '0' });
    cleanups.push(() => pool.dispose());
    const folder = mkdtempSync(join(tmpdir(), 'tavern-demo-'));
    const coordinator = new Coordinator({
      folder,
      pool,
      defaultEngine: 'claude', // the demo asks for scripted agents itself
      noWorkerFits: 'fail',
      log: () => undefined,
    });
    cleanups.push(() => coordinator.dispose());
    await pool.attach(worker.attachUrl);
    const jake = new Jake({
      folder,
      coordinator,
      pool,
      engine: new DemoJakeEngine(),
      log: () => undefined,
    });
    cleanups.push(() => jake.dispose());
    const events: AgentEventEnvelope[] = [];
    const approvals: string[] = [];
    coordinator.onPermissionRequest(({ request, answer }) => {
      approvals.push(`${request.tool} ${JSON.stringify(request.input)}`);
      answer({ decision: 'allow' });
    });
    const agentTexts = new Map<string, number>();
    coordinator.onAgentEvents((batch) => {
      for (const e of batch)
        if (e.event.kind === 'text')
          agentTexts.set(e.agentId, (agentTexts.get(e.agentId) ?? 0) + 1);
    });
    const said = (): string =>
      events.map((e) => (e.event.kind === 'text' ? e.event.text : '')).join('');
    const relayed = new Promise<void>((resolve) =>
      jake.onEvents((batch) => {
        events.push(...batch);
        if (/Tallied the cellar/.test(said()) && /Wrote the menu board/.test(said())) resolve();
      }),
    );

    jake.send('Get the tavern ready for tonight, please.');
    await relayed;

    expect(said()).toContain('OFFLINE DEMO');
    expect(said()).toContain('NEWS from the Slop Squad');
    const squad = coordinator.list();
    expect(squad.map((a) => a.engine)).toEqual(['scripted', 'scripted']);
    expect(squad.map((a) => a.state)).toEqual(['done', 'done']);
    expect(approvals).toHaveLength(1);
    expect(approvals[0]).toMatch(/^Write .*menu\.md/);
    // Both streamed a few words at a time, as a model would.
    for (const a of squad) expect(agentTexts.get(a.id)).toBeGreaterThan(5);
  });

  it('runs messages that already carry directives as they are', () => {
    expect(demoScript('[[done fine]]')).toBe('[[done fine]]');
    expect(demoScript('Hello')).toContain('[[tool summon_agent');
  });
});
