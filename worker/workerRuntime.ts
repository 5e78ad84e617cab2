// The worker's agent runtime: the registry of agents, capacity, placement of cwd inside the
// workdir, journals, fan-out to coordinators, and restore after a restart.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { nanoid } from 'nanoid';
import type { AgentEventEnvelope } from '../protocol/agentEvents';
import { ErrorCode } from '../protocol/errors';
import { PROTOCOL_VERSION, type AgentInfo, type EngineStatus } from '../protocol/wire';
import type { Engine } from '../runtime/engines/engine';
import { createEngines } from '../runtime/engines/registry';
import type { Logger } from '../runtime/log';
import { WorkerError, type CoordinatorPeer, type WorkerApi } from './workerApi';
import { Agent, type AgentSpec } from '../runtime/agent';
import { Journal } from '../runtime/journal';
import { PermissionBroker } from '../runtime/permissionBroker';
import { loadRecords, RecordWriter } from './agentRecords';

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
  /** Override for tests; default from runtime/engines/registry.ts. */
  engines?: Engine[];
}

const REPLAY_CAP = 5_000;

export interface WorkerRuntime extends WorkerApi {
  /** Resolves when agents restored from the state dir are loaded. */
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
  const agents = new Map<string, Agent>();
  const peers = new Set<CoordinatorPeer>();
  const broker = new PermissionBroker(options.permissionTimeoutMs, log);
  const journalDir = options.stateDir ? join(options.stateDir, 'journal') : undefined;
  const records = new RecordWriter(options.stateDir, log);
  const workerId = stableWorkerId(options.stateDir);
  const restoredIds = new Set<string>();
  let probes: Promise<EngineStatus[]> | undefined;

  const hooks = {
    onEnvelope(envelope: AgentEventEnvelope): void {
      for (const peer of peers) peer.sendEvent(envelope);
    },
    onChanged(): void {
      records.schedule(() =>
        [...agents.values()].map((a) => ({
          spec: a.spec,
          state: a.state,
          reason: a.info().stateReason,
          sessionId: a.sessionId,
        })),
      );
    },
  };

  for (const engine of engines.values()) {
    engine
      .warm?.()
      .catch((error: unknown) =>
        log.warn(`engine ${engine.name}: warm-up failed: ${String(error)}`),
      );
  }

  const ready = (async () => {
    if (!options.stateDir || !journalDir) return;
    for (const record of loadRecords(options.stateDir, log)) {
      const journal = await Journal.restore(record.spec.agentId, journalDir, log);
      const wasLive = record.state !== 'dismissed';
      const agent = new Agent(record.spec, journal, broker, hooks, log, {
        state: record.state,
        reason: record.reason,
        sessionId: record.sessionId,
      });
      agents.set(agent.id, agent);
      restoredIds.add(agent.id);
      // A fresh engine session that resumes the old conversation (by its session id) on the
      // next message: the agent takes work again instead of being a read-only record.
      const engine = engines.get(record.spec.engine);
      if (wasLive && engine)
        agent.attachSessionLater(() => engine.createSession(agent.context([])));
      // Its engine process did not survive the restart: say so in its journal.
      if (
        wasLive &&
        record.state !== 'interrupted' &&
        record.state !== 'done' &&
        record.state !== 'failed'
      ) {
        agent.setState('interrupted', 'worker restarted');
      }
    }
    if (agents.size > 0) log.info(`restored ${agents.size} agent(s) from ${options.stateDir}`);
  })();

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
    if (!agent) {
      throw new WorkerError(
        ErrorCode.UnknownAgent,
        `Unknown agent "${agentId}" on worker ${options.name}. List agents with agent/list; it may have been summoned on another worker.`,
      );
    }
    return agent;
  }

  // Agents restored after a restart have no engine process, so they hold no capacity.
  function activeCount(): number {
    let count = 0;
    for (const agent of agents.values())
      if (agent.state !== 'dismissed' && !restoredIds.has(agent.id)) count++;
    return count;
  }

  function resolveCwd(cwd: string | undefined): string {
    const workdir = resolve(options.workdir);
    const target = resolve(workdir, cwd ?? '.');
    const rel = relative(workdir, target);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new WorkerError(
        ErrorCode.InvalidParams,
        `cwd "${cwd}" is outside this worker's workdir ${workdir}. Give a path inside it, or start the worker with --workdir pointing higher.`,
        { issues: [{ path: 'cwd', message: 'outside workdir' }] },
      );
    }
    if (!existsSync(target) || !statSync(target).isDirectory()) {
      throw new WorkerError(
        ErrorCode.InvalidParams,
        `cwd "${cwd}" does not exist on worker ${options.name} (resolved to ${target}). Create it first or pick another folder.`,
        { issues: [{ path: 'cwd', message: 'no such directory' }] },
      );
    }
    return target;
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
        agents: [...agents.values()].map((a) => a.info()),
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
      const running = activeCount();
      if (running >= options.maxAgents) {
        throw new WorkerError(
          ErrorCode.Capacity,
          `Worker ${options.name} is full: ${running} of ${options.maxAgents} agents running. Dismiss one, attach another worker, or start this one with --max-agents N.`,
          { running, maxAgents: options.maxAgents },
        );
      }
      const agentId = params.agentId ?? nanoid(12);
      if (agents.has(agentId)) {
        throw new WorkerError(
          ErrorCode.InvalidParams,
          `An agent with id "${agentId}" already exists on this worker. Omit agentId to get a fresh one.`,
          { issues: [{ path: 'agentId', message: 'already exists' }] },
        );
      }
      const spec: AgentSpec = {
        agentId,
        name: params.name,
        engine: params.engine,
        cwd: resolveCwd(params.cwd),
        permissionMode: params.permissionMode ?? 'default',
        model: params.model,
        assignment: params.assignment,
        systemPrompt: params.systemPrompt,
        resumeSessionId: params.resumeSessionId,
        createdAt: Date.now(),
        ...(params.projectSettings ? { projectSettings: true } : {}),
      };
      const journal = new Journal(agentId, journalDir, log);
      const agent = new Agent(spec, journal, broker, hooks, log);
      agents.set(agentId, agent);
      agent.announce();
      agent.attachSession(engine.createSession(agent.context([])));
      hooks.onChanged();
      log.info(
        `spawned agent ${spec.name} (${agentId}) on the ${spec.engine} engine in ${spec.cwd}`,
      );
      if (params.assignment) agent.send(params.assignment, 'assignment');
      return { agentId };
    },

    async send(params) {
      const agent = getAgent(params.agentId);
      if (agent.state === 'dismissed') {
        throw new WorkerError(
          ErrorCode.IllegalState,
          `Agent ${agent.spec.name} was dismissed; summon a new agent to continue.`,
        );
      }
      agent.send(params.text, params.from);
      return {};
    },

    async interrupt(params) {
      await getAgent(params.agentId).interrupt();
      return {};
    },

    async dismiss(params) {
      const agent = getAgent(params.agentId);
      await agent.dismiss();
      log.info(`dismissed agent ${agent.spec.name} (${agent.id})`);
      return {};
    },

    async list() {
      await ready;
      return { agents: [...agents.values()].map((a): AgentInfo => a.info()) };
    },

    async replay(params) {
      const agent = getAgent(params.agentId);
      const limit = Math.min(params.limit ?? REPLAY_CAP, REPLAY_CAP);
      const { events, more } = await agent.journal.replay(params.afterSeq, limit);
      return { events, lastSeq: agent.journal.lastSeq, more };
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
      broker.dispose();
      await Promise.all([...agents.values()].filter((a) => a.busy).map((a) => a.interrupt()));
      await Promise.all([...agents.values()].map((a) => a.journal.flush()));
      records.writeNow(
        [...agents.values()].map((a) => ({
          spec: a.spec,
          state: a.state,
          reason: a.info().stateReason,
          sessionId: a.sessionId,
        })),
      );
      await Promise.all([...engines.values()].map((e) => e.dispose?.().catch(() => undefined)));
    },
  };
}

function stableWorkerId(stateDir: string | undefined): string {
  if (!stateDir) return nanoid(12);
  const file = join(stateDir, 'worker-id');
  try {
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    mkdirSync(stateDir, { recursive: true });
    const id = nanoid(12);
    writeFileSync(file, id + '\n');
    return id;
  } catch {
    return nanoid(12);
  }
}
