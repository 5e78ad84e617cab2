// The worker's agent runtime: the registry of live agents, capacity, placement of cwd inside
// the workdir, journals (group commit, then fan-out to coordinators), and restore after a
// restart, which never refuses to start: what it cannot read it reports and moves aside.
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { nanoid } from 'nanoid';
import { ErrorCode, errorMessage } from '../protocol/errors';
import {
  PROTOCOL_VERSION,
  type AgentInfo,
  type EngineStatus,
  type WorkerNotice,
} from '../protocol/wire';
import { Agent, type AgentSpec } from '../runtime/agent';
import type { Engine } from '../runtime/engines/engine';
import { createEngines } from '../runtime/engines/registry';
import type { Journal } from '../runtime/journal';
import { JournalStore } from '../runtime/journalStore';
import type { Logger } from '../runtime/log';
import { PermissionBroker } from '../runtime/permissionBroker';
import { AgentWorkspaces, type PreparedWorkspace } from './agentWorkspaces';
import { RecordStore, type AgentRecord } from './agentRecords';
import { lastJournalledState, orphanJournals, settleRestored } from './restore';
import { RetiredAgents } from './retiredAgents';
import { prepareStateDir } from './stateDir';
import { WorkerError, type CoordinatorPeer, type WorkerApi } from './workerApi';
import { resolveCwd, stableWorkerId } from './workdir';

export interface WorkerRuntimeOptions {
  name: string;
  workdir: string;
  stateDir: string | undefined;
  maxAgents: number;
  permissionTimeoutMs: number;
  version: string;
  log: Logger;
  /** --claude-path / env TAVERN_CLAUDE_PATH */
  claudePath: string | undefined;
  /** --fsync-ms: how often written journals are fdatasynced (0: before every publish). */
  fsyncMs?: number;
  /** --retention-days: dismissed agents' journals are deleted this long after (default 14). */
  retentionDays?: number;
  /** Override for tests; default from runtime/engines/registry.ts. */
  engines?: Engine[];
  /** The largest frame a coordinator accepts: workspace chunks are sized under it. */
  frameCapBytes?: number;
}

const REPLAY_CAP = 5_000;
export const DEFAULT_RETENTION_DAYS = 14;
const PRUNE_EVERY_MS = 6 * 60 * 60 * 1000;
/** How long a stop waits for interrupted turns to end before it flushes anyway. */
const SHUTDOWN_TURN_END_MS = 5_000;

export interface WorkerRuntime extends WorkerApi {
  /** Resolves when agents restored from the state dir are loaded (never rejects). */
  readonly ready: Promise<void>;
  readonly workerId: string;
}

export function createWorkerRuntime(options: WorkerRuntimeOptions): WorkerRuntime {
  const { log } = options;
  const engines = new Map(
    (
      options.engines ??
      createEngines({ claudePath: options.claudePath, workdir: options.workdir, log })
    ).map((e) => [e.name, e]),
  );
  /** Live agents (dismissed ones move to `retired`). */
  const agents = new Map<string, Agent>();
  /** Restored agents that have not taken work since the restart: they hold no capacity. */
  const uncounted = new Set<string>();
  const peers = new Set<CoordinatorPeer>();
  const notices: WorkerNotice[] = [];
  const broker = new PermissionBroker(options.permissionTimeoutMs, log);
  const journalDir = options.stateDir ? join(options.stateDir, 'journal') : undefined;
  const journals = new JournalStore({
    dir: journalDir,
    log,
    ...(options.fsyncMs !== undefined ? { fsyncMs: options.fsyncMs } : {}),
    // Events reach coordinators only here: after the journal wrote them.
    publish: (batch, bytes) => {
      for (const peer of peers) peer.sendEvents(batch, bytes);
    },
  });
  const records = new RecordStore(options.stateDir, log, options.fsyncMs === 0);
  const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const retired = new RetiredAgents(journals, records, retentionDays * 86_400_000, log);
  const workerId = stableWorkerId(options.stateDir);
  let probes: Promise<EngineStatus[]> | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;

  const recordOf = (agent: Agent): AgentRecord => ({
    spec: agent.spec,
    state: agent.state,
    reason: agent.info().stateReason,
    sessionId: agent.sessionId,
    dismissedAt: undefined,
  });
  // Agent workspaces need a state dir (mirrors, worktrees); without one agents work in place.
  const workspaces = options.stateDir
    ? new AgentWorkspaces(options.stateDir, options.frameCapBytes ?? 16 * 1024 * 1024, log)
    : undefined;
  const hooks = {
    onChanged: (agent: Agent): void => records.save(recordOf(agent)),
    afterTurn: async (agent: Agent, turn: number): Promise<void> => {
      const ws = agent.spec.workspace;
      if (ws && workspaces) await workspaces.afterTurn(agent.id, agent.spec.name, turn, ws);
    },
  };

  for (const engine of engines.values()) {
    engine
      .warm?.()
      .catch((error: unknown) =>
        log.warn(`engine ${engine.name}: warm-up failed: ${String(error)}`),
      );
  }

  function report(level: WorkerNotice['level'], message: string): void {
    (level === 'warning' ? log.warn : log.info)(message);
    notices.push({ level, message });
  }

  async function restoreOne(found: AgentRecord): Promise<void> {
    let record = found;
    const { spec } = record;
    if (record.state === 'dismissed') {
      retired.add(spec.agentId, spec.name, record.dismissedAt ?? Date.now());
      return;
    }
    const { journal, problems, lost } = await journals.restore(spec.agentId);
    if (problems.length > 0)
      report('warning', `Agent ${spec.name} (${spec.agentId}): ${problems.join('; ')}.`);
    // The journal is newer than the record when the worker died within a debounce.
    const last = lastJournalledState(journal.recentLines()) ?? record;
    if (last.state === 'dismissed') {
      const dismissedAt = Date.now();
      records.save({ ...record, state: 'dismissed', reason: last.reason, dismissedAt });
      retired.add(spec.agentId, spec.name, dismissedAt, journal);
      return;
    }
    record = { ...record, state: last.state, reason: last.reason };
    const agent = new Agent(spec, journal, broker, hooks, log, {
      state: record.state,
      reason: record.reason,
      sessionId: record.sessionId,
    });
    agents.set(agent.id, agent);
    uncounted.add(agent.id);
    workspaces?.adopt(agent.id, spec.workspace);
    if (lost) agent.emit({ kind: 'notice', level: 'warning', code: 'journal_lost', message: lost });
    // A fresh engine session that resumes the old conversation (by its session id) on the
    // next message: the agent takes work again instead of being a read-only record.
    const engine = engines.get(spec.engine);
    if (engine) agent.attachSessionLater(() => engine.createSession(agent.context([])));
    settleRestored(agent, record);
  }

  const ready = (async () => {
    if (!options.stateDir || !journalDir) {
      await journals.start();
      return;
    }
    notices.push(...(await prepareStateDir(options.stateDir, log)));
    const previous = await journals.start();
    if (previous.kind === 'crash-after-reboot')
      report(
        'warning',
        'The worker did not stop cleanly before the machine restarted: events that had not reached the disk are lost (each affected agent says so in its transcript).',
      );
    const loaded = await records.load();
    notices.push(...loaded.notices);
    for (const record of loaded.records) {
      try {
        await restoreOne(record);
      } catch (error) {
        report(
          'warning',
          `Agent ${record.spec.name} (${record.spec.agentId}) could not be restored: ${errorMessage(error)}. Its files stay in ${options.stateDir}.`,
        );
      }
    }
    const orphans = await orphanJournals(journalDir, (id) => agents.has(id) || retired.has(id));
    for (const orphan of orphans) retired.add(orphan.agentId, '(no record)', orphan.modifiedAt);
    if (orphans.length > 0)
      report(
        'warning',
        `${orphans.length} journal(s) in ${journalDir} have no agent record (${orphans
          .slice(0, 3)
          .map((o) => o.agentId)
          .join(
            ', ',
          )}${orphans.length > 3 ? ', ...' : ''}); they stay replayable and are pruned with dismissed agents.`,
      );
    await retired.prune();
    // Worktrees and mirrors no record needs any more (only fully committed ones go).
    await workspaces?.sweep(
      new Set(agents.keys()),
      new Set(
        loaded.records.flatMap((r) => (r.spec.workspace ? [r.spec.workspace.projectId] : [])),
      ),
    );
    pruneTimer = setInterval(() => void retired.prune(), PRUNE_EVERY_MS);
    pruneTimer.unref();
    if (agents.size > 0 || retired.size > 0)
      log.info(
        `restored ${agents.size} agent(s) (${retired.size} dismissed, replayable) from ${options.stateDir}`,
      );
  })().catch((error: unknown) => {
    // Restore never refuses to start: the worker runs with what it could read.
    report('warning', `Restoring agents from ${options.stateDir} failed: ${errorMessage(error)}.`);
  });

  function probeEngines(): Promise<EngineStatus[]> {
    probes ??= Promise.all(
      [...engines.values()].map((engine) =>
        engine.probe().catch((error: unknown): EngineStatus => ({
          name: engine.name,
          available: false,
          reason: `probe failed: ${String(error)}`,
        })),
      ),
    );
    return probes;
  }

  function unknownAgent(agentId: string): WorkerError {
    return new WorkerError(
      ErrorCode.UnknownAgent,
      `Unknown agent "${agentId}" on worker ${options.name}. List agents with agent/list; it may have been summoned on another worker.`,
    );
  }

  function getAgent(agentId: string): Agent {
    const agent = agents.get(agentId);
    if (!agent) throw unknownAgent(agentId);
    return agent;
  }

  async function journalOf(agentId: string): Promise<Journal | undefined> {
    return agents.get(agentId)?.journal ?? (await retired.journal(agentId));
  }

  /** Agents holding a capacity slot: live ones, except restored ones that took no work yet. */
  function activeCount(): number {
    let count = 0;
    for (const agent of agents.values())
      if (agent.state !== 'dismissed' && !uncounted.has(agent.id)) count++;
    return count;
  }

  function requireWorkspaces(): AgentWorkspaces {
    if (workspaces) return workspaces;
    throw new WorkerError(
      ErrorCode.Workspace,
      `Worker ${options.name} keeps no state dir, so it has no agent workspaces. Start it with --state-dir.`,
      { kind: 'NoWorkspace' },
    );
  }

  function assertRoom(): void {
    const running = activeCount();
    if (running >= options.maxAgents) {
      throw new WorkerError(
        ErrorCode.Capacity,
        `Worker ${options.name} is full: ${running} of ${options.maxAgents} agents running. Dismiss one, attach another worker, or start this one with --max-agents N.`,
        { running, maxAgents: options.maxAgents },
      );
    }
  }

  return {
    ready,
    workerId,
    async hello(params) {
      if (params.protocolVersion !== PROTOCOL_VERSION) {
        throw new WorkerError(
          ErrorCode.ProtocolVersion,
          `This worker speaks protocol ${PROTOCOL_VERSION}; the client speaks ${params.protocolVersion}. Update the older side so both match.`,
          { workerProtocolVersion: PROTOCOL_VERSION },
        );
      }
      await ready;
      return {
        protocolVersion: PROTOCOL_VERSION,
        workerId,
        name: options.name,
        version: options.version,
        hostname: hostname(),
        platform: process.platform,
        arch: process.arch,
        workdir: resolve(options.workdir),
        engines: await probeEngines(),
        maxAgents: options.maxAgents,
        workspaces: workspaces !== undefined,
        agents: [...agents.values()].map((a) => a.info()),
        ...(notices.length > 0 ? { notices } : {}),
      };
    },

    async spawn(params) {
      await ready;
      const engine = engines.get(params.engine);
      const status = (await probeEngines()).find((s) => s.name === params.engine);
      if (!engine || !status?.available) {
        throw new WorkerError(
          ErrorCode.EngineUnavailable,
          `The ${params.engine} engine is not usable on worker ${options.name}: ${status?.reason ?? 'not installed'}.`,
          { engine: params.engine },
        );
      }
      assertRoom();
      const agentId = params.agentId ?? nanoid(12);
      if (agents.has(agentId) || retired.has(agentId)) {
        throw new WorkerError(
          ErrorCode.InvalidParams,
          `An agent with id "${agentId}" already exists on this worker${retired.has(agentId) ? ' (dismissed; its journal is kept)' : ''}. Omit agentId to get a fresh one.`,
          { issues: [{ path: 'agentId', message: 'already exists' }] },
        );
      }
      // Its own worktree when the coordinator asks for one; else it works in the workdir.
      let prepared: PreparedWorkspace | undefined;
      if (params.workspace) {
        if (!workspaces)
          throw new WorkerError(
            ErrorCode.Workspace,
            `Worker ${options.name} keeps no state dir, so it cannot give agents worktrees. Start it with --state-dir.`,
            { kind: 'NoWorkspace' },
          );
        prepared = await workspaces.prepare(agentId, params.name, params.workspace);
      }
      const spec: AgentSpec = {
        agentId,
        name: params.name,
        engine: params.engine,
        cwd: prepared?.cwd ?? resolveCwd(options.workdir, params.cwd, options.name),
        ...(prepared ? { workspace: prepared.workspace, env: prepared.env } : {}),
        permissionMode: params.permissionMode ?? 'default',
        model: params.model,
        assignment: params.assignment,
        systemPrompt: params.systemPrompt,
        resumeSessionId: params.resumeSessionId,
        createdAt: Date.now(),
        ...(params.projectSettings ? { projectSettings: true } : {}),
      };
      let journal: Journal;
      try {
        journal = journals.create(agentId);
      } catch (error) {
        throw new WorkerError(ErrorCode.InvalidParams, errorMessage(error), {
          issues: [{ path: 'agentId', message: 'already exists' }],
        });
      }
      // On disk before the agent emits anything (see RecordStore.createNow).
      try {
        records.createNow({
          spec,
          state: 'summoned',
          reason: undefined,
          sessionId: undefined,
          dismissedAt: undefined,
        });
      } catch (error) {
        journals.discard(journal);
        throw new WorkerError(
          ErrorCode.InternalError,
          `Worker ${options.name} could not write the agent's record: ${errorMessage(error)}. Check the space and permissions of its --state-dir.`,
        );
      }
      const agent = new Agent(spec, journal, broker, hooks, log);
      if (params.credentials)
        agent.setSecretEnv({ ANTHROPIC_API_KEY: params.credentials.anthropicApiKey });
      agents.set(agentId, agent);
      agent.announce();
      agent.attachSession(engine.createSession(agent.context([])));
      log.info(
        `spawned agent ${spec.name} (${agentId}) on the ${spec.engine} engine in ${spec.cwd}`,
      );
      if (params.assignment) agent.send(params.assignment, 'assignment');
      // Answer once its first events are published: a coordinator learns of the agent (and
      // counts it) before it learns the spawn succeeded, as it always has.
      await journal.untilDurable();
      return {
        agentId,
        ...(prepared
          ? { workspace: { branch: prepared.workspace.branch, base: prepared.workspace.base } }
          : {}),
      };
    },

    async send(params) {
      if (retired.has(params.agentId)) {
        throw new WorkerError(
          ErrorCode.IllegalState,
          `Agent ${retired.nameOf(params.agentId)} was dismissed; summon a new agent to continue.`,
        );
      }
      const agent = getAgent(params.agentId);
      if (agent.state === 'dismissed') {
        throw new WorkerError(
          ErrorCode.IllegalState,
          `Agent ${agent.spec.name} was dismissed; summon a new agent to continue.`,
        );
      }
      // A restored agent takes a capacity slot again when it takes work.
      if (uncounted.has(agent.id)) {
        assertRoom();
        uncounted.delete(agent.id);
      }
      agent.send(params.text, params.from);
      return {};
    },

    async interrupt(params) {
      if (retired.has(params.agentId)) return {};
      await getAgent(params.agentId).interrupt();
      return {};
    },

    async dismiss(params) {
      if (retired.has(params.agentId)) return {};
      const agent = getAgent(params.agentId);
      await agent.dismiss();
      // Its work is committed and its worktree removed (never --force); the branch stays.
      if (agent.spec.workspace)
        await workspaces
          ?.retire(agent.id, agent.spec.name)
          .catch((error: unknown) =>
            log.warn(`agent ${agent.spec.name}: its worktree stays: ${errorMessage(error)}`),
          );
      agents.delete(agent.id);
      uncounted.delete(agent.id);
      const dismissedAt = Date.now();
      retired.add(agent.id, agent.spec.name, dismissedAt, agent.journal);
      log.info(`dismissed agent ${agent.spec.name} (${agent.id})`);
      // Answer once the dismissal is on disk. The slim record of a dismissed agent is
      // enough to refuse its messages and to prune it later.
      await Promise.all([
        records.saveNow({
          ...recordOf(agent),
          spec: { ...agent.spec, assignment: undefined, systemPrompt: undefined },
          dismissedAt,
        }),
        agent.journal.untilDurable(),
      ]);
      return {};
    },

    async list() {
      await ready;
      return { agents: [...agents.values()].map((a): AgentInfo => a.info()) };
    },

    async replay(params) {
      const journal = await journalOf(params.agentId);
      if (!journal) throw unknownAgent(params.agentId);
      const limit = Math.min(params.limit ?? REPLAY_CAP, REPLAY_CAP);
      const { events, more } = await journal.replay(params.afterSeq, limit);
      return { events, lastSeq: journal.lastSeq, more };
    },

    async workspaceRefs(params) {
      return requireWorkspaces().refs(params);
    },

    async workspacePush(params) {
      return requireWorkspaces().push(params);
    },

    async changes(params) {
      if (!agents.has(params.agentId) && !retired.has(params.agentId))
        throw unknownAgent(params.agentId);
      return requireWorkspaces().changes(params);
    },

    async pull(params) {
      if (!agents.has(params.agentId) && !retired.has(params.agentId))
        throw unknownAgent(params.agentId);
      return requireWorkspaces().pull(params);
    },

    async linesAfter(agentId, afterSeq, maxBytes) {
      const journal = await journalOf(agentId);
      return journal?.linesAfter(afterSeq, maxBytes, REPLAY_CAP);
    },

    attach(peer) {
      peers.add(peer);
      broker.attach(peer);
    },

    detach(peer) {
      peers.delete(peer);
      broker.detach(peer);
    },

    async shutdown() {
      clearInterval(pruneTimer);
      broker.dispose();
      // Interrupted turns end (their work committed, their state journalled) before the flush.
      const busy = [...agents.values()].filter((a) => a.busy);
      await Promise.all(busy.map((a) => a.interrupt()));
      await Promise.race([
        Promise.all(busy.map((a) => a.whenIdle())),
        new Promise((resolve) => setTimeout(resolve, SHUTDOWN_TURN_END_MS).unref()),
      ]);
      for (const agent of agents.values()) records.save(recordOf(agent));
      await journals.flush();
      await records.flush();
      await journals.close();
      await Promise.all([...engines.values()].map((e) => e.dispose?.().catch(() => undefined)));
      await workspaces?.dispose();
    },
  };
}
