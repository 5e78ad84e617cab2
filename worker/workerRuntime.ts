// The worker's agent runtime: the registry of live agents, capacity, placement of cwd inside
// the workdir, journals (group commit, then fan-out to coordinators), and restore after a
// restart, which never refuses to start: what it cannot read it reports and moves aside.
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { nanoid } from 'nanoid';
import { errorMessage } from '../protocol/errors';
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
import { restoreAgents } from './restoreAgents';
import { RetiredAgents } from './retiredAgents';
import type { CoordinatorPeer, WorkerApi } from './workerApi';
import {
  agentExists,
  dismissedAgent,
  engineUnusable,
  full,
  noWorkspaces,
  otherProtocol,
  recordUnwritable,
  unknownAgent,
} from './workerErrors';
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

  const ready = (async () => {
    if (!options.stateDir || !journalDir) {
      await journals.start();
      return;
    }
    const { stateDir } = options;
    const parts = { stateDir, journalDir, log, journals, records, retired, agents, uncounted };
    await restoreAgents({ ...parts, workspaces, engines, broker, hooks, notices, report });
    pruneTimer = setInterval(() => void retired.prune(), PRUNE_EVERY_MS);
    pruneTimer.unref();
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

  function getAgent(agentId: string): Agent {
    const agent = agents.get(agentId);
    if (!agent) throw unknownAgent(options.name, agentId);
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
    throw noWorkspaces(options.name);
  }

  function assertRoom(): void {
    const running = activeCount();
    if (running >= options.maxAgents) throw full(options.name, running, options.maxAgents);
  }

  return {
    ready,
    workerId,
    async hello(params) {
      if (params.protocolVersion !== PROTOCOL_VERSION) throw otherProtocol(params.protocolVersion);
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
      if (!engine || !status?.available)
        throw engineUnusable(options.name, params.engine, status?.reason);
      assertRoom();
      const agentId = params.agentId ?? nanoid(12);
      if (agents.has(agentId) || retired.has(agentId))
        throw agentExists(
          `An agent with id "${agentId}" already exists on this worker${retired.has(agentId) ? ' (dismissed; its journal is kept)' : ''}. Omit agentId to get a fresh one.`,
        );
      // Its own worktree when the coordinator asks for one; else it works in the workdir.
      let prepared: PreparedWorkspace | undefined;
      if (params.workspace) {
        prepared = await requireWorkspaces().prepare(agentId, params.name, params.workspace);
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
        throw agentExists(errorMessage(error));
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
        throw recordUnwritable(options.name, errorMessage(error));
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
      if (retired.has(params.agentId)) throw dismissedAgent(retired.nameOf(params.agentId));
      const agent = getAgent(params.agentId);
      if (agent.state === 'dismissed') throw dismissedAgent(agent.spec.name);
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
      if (!journal) throw unknownAgent(options.name, params.agentId);
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
        throw unknownAgent(options.name, params.agentId);
      return requireWorkspaces().changes(params);
    },

    async pull(params) {
      if (!agents.has(params.agentId) && !retired.has(params.agentId))
        throw unknownAgent(options.name, params.agentId);
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
