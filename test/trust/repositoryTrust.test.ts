// The repository is not the user. A folder that ships `.tavern/permissions.json` gets no
// always-allow from it; a folder whose `.claude/settings.json` defines hooks has them run only
// for an agent spawned with the user's agreement (projectSettings), checked with the REAL
// Claude Code CLI offline; a change to those files is a new content hash, so the user is asked
// again.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Coordinator } from '../../extension/core/coordinator/coordinator';
import { readShippedRules } from '../../extension/core/coordinator/shippedRules';
import { inspectProjectSettings } from '../../extension/core/trust/projectSettings';
import { parseAttachUrl } from '../../extension/core/workers/attachUrl';
import { WorkerClient, type ConnectedWorker } from '../../extension/core/workers/workerClient';
import { WorkerPool } from '../../extension/core/workers/workerPool';
import {
  offlineClaudeEnv,
  startFakeAnthropicApi,
  type FakeAnthropicApi,
} from '../fakeApi/fakeAnthropicApi';
import { EventLog } from '../helpers/agentEvents';
import { startWorker, type RunningWorker } from '../helpers/workerProcess';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function folderWith(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), 'tavern-repo-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(folder, path, '..'), { recursive: true });
    writeFileSync(join(folder, path), text);
  }
  return folder;
}

describe('shipped always-allow rules', () => {
  it('are read and shown, never applied: the agent still asks', async () => {
    const folder = folderWith({ '.tavern/permissions.json': '{"alwaysAllow": ["*"]}' });
    const shipped = readShippedRules(folder);
    expect(shipped?.tools).toEqual(['*']);
    writeFileSync(join(folder, '.tavern/permissions.json'), '{"alwaysAllow": ["*", "Bash"]}');
    expect(readShippedRules(folder)?.hash).not.toBe(shipped?.hash); // changed: asked again

    const worker = await startWorker();
    cleanups.push(() => worker.kill());
    const pool = new WorkerPool({ clientName: 'test', clientVersion: '0' });
    cleanups.push(() => pool.dispose());
    const coordinator = new Coordinator({
      folder,
      pool,
      defaultEngine: 'scripted',
      noWorkerFits: 'fail',
      log: () => undefined,
    });
    cleanups.push(() => coordinator.dispose());
    await pool.attach(worker.attachUrl);
    const asked = new Promise<string>((resolve) =>
      coordinator.onPermissionRequest(({ request, answer }) => {
        resolve(request.tool);
        answer({ decision: 'deny', message: 'no' });
      }),
    );
    await coordinator.summon({ assignment: '[[permission Bash]] [[done asked]]' });
    expect(await asked).toBe('Bash');
    expect(coordinator.rulesList()).toEqual([]);
  });
});

describe("a folder's own Claude settings", () => {
  it('are inspected: hooks, allow rules and helper commands, with a hash of their content', () => {
    const folder = folderWith({
      '.claude/settings.json': JSON.stringify({
        hooks: {
          SessionStart: [{ hooks: [{ type: 'command', command: 'touch /tmp/x' }] }],
          PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'echo hi' }] }],
        },
        permissions: { allow: ['Bash(curl:*)'] },
        apiKeyHelper: './get-key.sh',
      }),
    });
    const report = inspectProjectSettings(folder);
    expect(report.findings).toEqual([
      '.claude/settings.json: hook SessionStart runs: touch /tmp/x',
      '.claude/settings.json: hook PreToolUse (Bash) runs: echo hi',
      '.claude/settings.json: allows without asking: Bash(curl:*)',
      '.claude/settings.json: apiKeyHelper runs: ./get-key.sh',
    ]);
    writeFileSync(join(folder, '.claude/settings.local.json'), '{"permissions":{"allow":["*"]}}');
    const again = inspectProjectSettings(folder);
    expect(again.hash).not.toBe(report.hash);
    expect(again.findings.at(-1)).toBe('.claude/settings.local.json: allows without asking: *');
    expect(inspectProjectSettings(folderWith({ 'README.md': '# x' })).findings).toEqual([]);
  });

  describe('with the real Claude Code CLI', () => {
    let api: FakeAnthropicApi;
    let worker: RunningWorker;
    let client: ConnectedWorker;
    let log: EventLog;
    let workdir: string;
    const marker = (name: string): string => join(workdir, `${name}.marker`);

    beforeAll(async () => {
      api = await startFakeAnthropicApi();
      workdir = folderWith({});
      writeFileSync(join(workdir, 'README.md'), '# a repository\n');
      mkdirSync(join(workdir, '.claude'));
      writeFileSync(
        join(workdir, '.claude', 'settings.json'),
        JSON.stringify({
          hooks: {
            SessionStart: [{ hooks: [{ type: 'command', command: `touch "${marker('start')}"` }] }],
            UserPromptSubmit: [
              { hooks: [{ type: 'command', command: `touch "${marker('prompt')}"` }] },
            ],
          },
        }),
      );
      const home = mkdtempSync(join(tmpdir(), 'tavern-trust-home-'));
      // Settings load as in real use (no TAVERN_CLAUDE_LOAD_SETTINGS=0); HOME is empty.
      worker = await startWorker({
        workdir,
        env: { ...offlineClaudeEnv(api.url, home), TAVERN_CLAUDE_PERSIST_SESSION: '0' },
      });
      client = await new WorkerClient(parseAttachUrl(worker.attachUrl), {
        clientName: 'test',
        clientVersion: '0',
      }).connect();
      log = new EventLog(client);
    });
    afterAll(async () => {
      client.dispose();
      await worker.kill();
      await api.close();
    });

    it('never run its hooks for an agent spawned without the user’s agreement', async () => {
      const { agentId } = await client.spawn({
        name: 'Untrusted',
        engine: 'claude',
        assignment: 'Say hello.',
      });
      await log.untilState(agentId, 'waiting');
      expect(existsSync(marker('start'))).toBe(false);
      expect(existsSync(marker('prompt'))).toBe(false);
    });

    it('run them once the user agreed (projectSettings on the spawn)', async () => {
      const { agentId } = await client.spawn({
        name: 'Trusted',
        engine: 'claude',
        assignment: 'Say hello.',
        projectSettings: true,
      });
      await log.untilState(agentId, 'waiting');
      expect(existsSync(marker('prompt'))).toBe(true);
    });
  });
});
