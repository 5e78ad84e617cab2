// A restarted worker loads the agents its state dir holds: each live one comes back with its
// journal (taking work again on its next message), each dismissed one stays replayable until
// pruned, and journals without a record are kept as dismissed. Restore never refuses to
// start: what it cannot read it reports (a worker notice) and leaves where it is.
import { errorMessage } from '../protocol/errors';
import type { WorkerNotice } from '../protocol/wire';
import { Agent, type AgentHooks } from '../runtime/agent';
import type { Engine } from '../runtime/engines/engine';
import type { JournalStore } from '../runtime/journalStore';
import type { Logger } from '../runtime/log';
import type { PermissionBroker } from '../runtime/permissionBroker';
import type { AgentWorkspaces } from './agentWorkspaces';
import type { AgentRecord, RecordStore } from './agentRecords';
import { lastJournalledState, orphanJournals, settleRestored } from './restore';
import type { RetiredAgents } from './retiredAgents';
import { prepareStateDir } from './stateDir';

/** The worker's parts that restore fills in. */
export interface RestoreTarget {
  stateDir: string;
  journalDir: string;
  log: Logger;
  journals: JournalStore;
  records: RecordStore;
  retired: RetiredAgents;
  /** Live agents, filled here. */
  agents: Map<string, Agent>;
  /** Restored agents hold no capacity until they take work: filled here. */
  uncounted: Set<string>;
  workspaces: AgentWorkspaces | undefined;
  engines: ReadonlyMap<string, Engine>;
  broker: PermissionBroker;
  hooks: AgentHooks;
  /** Told to every coordinator in its hello. */
  notices: WorkerNotice[];
  report(level: WorkerNotice['level'], message: string): void;
}

export async function restoreAgents(t: RestoreTarget): Promise<void> {
  t.notices.push(...(await prepareStateDir(t.stateDir, t.log)));
  const previous = await t.journals.start();
  if (previous.kind === 'crash-after-reboot')
    t.report(
      'warning',
      'The worker did not stop cleanly before the machine restarted: events that had not reached the disk are lost (each affected agent says so in its transcript).',
    );
  const loaded = await t.records.load();
  t.notices.push(...loaded.notices);
  for (const record of loaded.records) {
    try {
      await restoreOne(t, record);
    } catch (error) {
      t.report(
        'warning',
        `Agent ${record.spec.name} (${record.spec.agentId}) could not be restored: ${errorMessage(error)}. Its files stay in ${t.stateDir}.`,
      );
    }
  }
  const orphans = await orphanJournals(t.journalDir, (id) => t.agents.has(id) || t.retired.has(id));
  for (const orphan of orphans) t.retired.add(orphan.agentId, '(no record)', orphan.modifiedAt);
  if (orphans.length > 0)
    t.report(
      'warning',
      `${orphans.length} journal(s) in ${t.journalDir} have no agent record (${orphans
        .slice(0, 3)
        .map((o) => o.agentId)
        .join(
          ', ',
        )}${orphans.length > 3 ? ', ...' : ''}); they stay replayable and are pruned with dismissed agents.`,
    );
  await t.retired.prune();
  // Worktrees and mirrors no record needs any more (only fully committed ones go).
  await t.workspaces?.sweep(
    new Set(t.agents.keys()),
    new Set(loaded.records.flatMap((r) => (r.spec.workspace ? [r.spec.workspace.projectId] : []))),
  );
  if (t.agents.size > 0 || t.retired.size > 0)
    t.log.info(
      `restored ${t.agents.size} agent(s) (${t.retired.size} dismissed, replayable) from ${t.stateDir}`,
    );
}

async function restoreOne(t: RestoreTarget, found: AgentRecord): Promise<void> {
  let record = found;
  const { spec } = record;
  if (record.state === 'dismissed') {
    t.retired.add(spec.agentId, spec.name, record.dismissedAt ?? Date.now());
    return;
  }
  const { journal, problems, lost } = await t.journals.restore(spec.agentId);
  if (problems.length > 0)
    t.report('warning', `Agent ${spec.name} (${spec.agentId}): ${problems.join('; ')}.`);
  // The journal is newer than the record when the worker died within a debounce.
  const last = lastJournalledState(journal.recentLines()) ?? record;
  if (last.state === 'dismissed') {
    const dismissedAt = Date.now();
    t.records.save({ ...record, state: 'dismissed', reason: last.reason, dismissedAt });
    t.retired.add(spec.agentId, spec.name, dismissedAt, journal);
    return;
  }
  record = { ...record, state: last.state, reason: last.reason };
  const agent = new Agent(spec, journal, t.broker, t.hooks, t.log, {
    state: record.state,
    reason: record.reason,
    sessionId: record.sessionId,
  });
  t.agents.set(agent.id, agent);
  t.uncounted.add(agent.id);
  t.workspaces?.adopt(agent.id, spec.workspace);
  if (lost) agent.emit({ kind: 'notice', level: 'warning', code: 'journal_lost', message: lost });
  // A fresh engine session that resumes the old conversation (by its session id) on the
  // next message: the agent takes work again instead of being a read-only record.
  const engine = t.engines.get(spec.engine);
  if (engine) agent.attachSessionLater(() => engine.createSession(agent.context([])));
  settleRestored(agent, record);
}
