// The worker's own record of its agents, one small file per agent
// (`<stateDir>/agents/<id>.json`), so a restarted worker knows its agents and their
// journals. A change rewrites only that agent's file (atomically, debounced). Every file is
// parsed with its schema at start: a file that cannot be read is moved aside (never
// overwritten) and reported; an older worker's single `agents.json` is imported once.
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AgentStateSchema, EngineNameSchema, PermissionModeSchema } from '../protocol/agentEvents';
import { errorMessage } from '../protocol/errors';
import type { WorkerNotice } from '../protocol/wire';
import type { AgentSpec } from '../runtime/agent';
import type { Logger } from '../runtime/log';
import { ensurePrivateDir, FILE_MODE, moveAside, writeFileAtomic } from '../runtime/privateFiles';

const AgentSpecSchema = z.object({
  agentId: z.string().min(1).max(128),
  name: z.string(),
  engine: EngineNameSchema,
  cwd: z.string(),
  permissionMode: PermissionModeSchema,
  model: z.string().optional(),
  assignment: z.string().optional(),
  systemPrompt: z.string().optional(),
  resumeSessionId: z.string().optional(),
  createdAt: z.number(),
  projectSettings: z.boolean().optional(),
  env: z.record(z.string(), z.string()).optional(),
  workspace: z
    .object({
      projectId: z.string(),
      branch: z.string(),
      base: z.string(),
      path: z.string(),
      sameDisk: z.boolean(),
      portSlot: z.number().int().nonnegative().optional(),
    })
    .optional(),
});

export const AgentRecordSchema = z.object({
  spec: AgentSpecSchema,
  state: AgentStateSchema,
  reason: z.string().optional(),
  sessionId: z.string().optional(),
  /** When it was dismissed: its journal is pruned `--retention-days` later. */
  dismissedAt: z.number().optional(),
});

export interface AgentRecord {
  spec: AgentSpec;
  state: z.infer<typeof AgentStateSchema>;
  reason: string | undefined;
  sessionId: string | undefined;
  dismissedAt: number | undefined;
}

function toRecord(parsed: z.infer<typeof AgentRecordSchema>): AgentRecord {
  const s = parsed.spec;
  return {
    spec: {
      agentId: s.agentId,
      name: s.name,
      engine: s.engine,
      cwd: s.cwd,
      permissionMode: s.permissionMode,
      model: s.model,
      assignment: s.assignment,
      systemPrompt: s.systemPrompt,
      resumeSessionId: s.resumeSessionId,
      createdAt: s.createdAt,
      ...(s.projectSettings ? { projectSettings: true } : {}),
      ...(s.env ? { env: s.env } : {}),
      ...(s.workspace ? { workspace: s.workspace } : {}),
    },
    state: parsed.state,
    reason: parsed.reason,
    sessionId: parsed.sessionId,
    dismissedAt: parsed.dismissedAt,
  };
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}` : 'invalid';
}

export interface LoadedRecords {
  records: AgentRecord[];
  notices: WorkerNotice[];
}

const DEBOUNCE_MS = 50;

export class RecordStore {
  private readonly dir: string | undefined;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly latest = new Map<string, AgentRecord>();
  private readonly writing = new Map<string, Promise<void>>();

  constructor(
    private readonly stateDir: string | undefined,
    private readonly log: Logger,
    /** fdatasync every record write (the journals' `--fsync-ms 0`). */
    private readonly sync = false,
  ) {
    this.dir = stateDir ? join(stateDir, 'agents') : undefined;
  }

  /** Reads every record (importing a legacy agents.json first); never throws for bad files. */
  async load(): Promise<LoadedRecords> {
    const notices: WorkerNotice[] = [];
    if (!this.stateDir || !this.dir) return { records: [], notices };
    ensurePrivateDir(this.dir);
    await this.importLegacy(notices);
    const records: AgentRecord[] = [];
    for (const name of await readdir(this.dir)) {
      const file = join(this.dir, name);
      if (name.startsWith('.') && name.endsWith('.tmp')) {
        // A write cut short by a crash; the record it was replacing is intact.
        await rm(file, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const record = await this.readRecord(file, decodeURIComponent(name.slice(0, -5)), notices);
      if (record) records.push(record);
    }
    return { records, notices };
  }

  /** Persists this agent's record soon (debounced), replacing only its own file. */
  save(record: AgentRecord): void {
    if (!this.dir) return;
    const id = record.spec.agentId;
    this.latest.set(id, record);
    if (this.timers.has(id)) return;
    const timer = setTimeout(() => {
      this.timers.delete(id);
      this.writeOne(id);
    }, DEBOUNCE_MS);
    timer.unref();
    this.timers.set(id, timer);
  }

  /**
   * Creates a new agent's record synchronously, before the agent emits anything: nobody
   * hears of an agent that a crash would make the restarted worker forget. Synchronous on
   * purpose: one small new file (no rename needed: a torn one is an agent nobody heard of)
   * costs less than the thread-pool round trips of an asynchronous write, and a spawn's
   * first event waits for it. Throws when the file cannot be written.
   */
  createNow(record: AgentRecord): void {
    if (!this.dir) return;
    const file = this.fileOf(record.spec.agentId);
    const fd = openSync(file, 'wx', FILE_MODE);
    try {
      writeSync(fd, JSON.stringify(record) + '\n');
      if (this.sync) fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Writes this record now and waits for it (a dismissal answered once it is on disk). */
  async saveNow(record: AgentRecord): Promise<void> {
    if (!this.dir) return;
    const id = record.spec.agentId;
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.latest.set(id, record);
    this.writeOne(id);
    await this.writing.get(id);
  }

  /** Writes every pending change now and waits for the writes. */
  async flush(): Promise<void> {
    for (const [id, timer] of this.timers) {
      clearTimeout(timer);
      this.writeOne(id);
    }
    this.timers.clear();
    await Promise.all(this.writing.values());
  }

  /** Deletes an agent's record (retention pruning). */
  async remove(agentId: string): Promise<void> {
    if (!this.dir) return;
    clearTimeout(this.timers.get(agentId));
    this.timers.delete(agentId);
    this.latest.delete(agentId);
    await this.writing.get(agentId);
    await rm(this.fileOf(agentId), { force: true });
  }

  private fileOf(agentId: string): string {
    return join(this.dir!, `${encodeURIComponent(agentId)}.json`);
  }

  private writeOne(agentId: string): void {
    const record = this.latest.get(agentId);
    if (!record) return;
    this.latest.delete(agentId);
    const file = this.fileOf(agentId);
    const previous = this.writing.get(agentId) ?? Promise.resolve();
    const next = previous
      .then(() => writeFileAtomic(file, JSON.stringify(record) + '\n', this.sync))
      .catch((error: unknown) =>
        this.log.error(`could not write agent record ${file}: ${errorMessage(error)}`),
      )
      .finally(() => {
        if (this.writing.get(agentId) === next) this.writing.delete(agentId);
      });
    this.writing.set(agentId, next);
  }

  private async readRecord(
    file: string,
    expectedId: string,
    notices: WorkerNotice[],
  ): Promise<AgentRecord | undefined> {
    let problem: string;
    try {
      const parsed = AgentRecordSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
      if (parsed.success && parsed.data.spec.agentId === expectedId) return toRecord(parsed.data);
      problem = parsed.success
        ? `it names agent "${parsed.data.spec.agentId}"`
        : firstIssue(parsed.error);
    } catch (error) {
      problem = errorMessage(error);
    }
    const aside = await moveAside(file, 'unreadable').catch(() => file);
    const message = `Agent record ${file} is unreadable (${problem}); moved to ${aside}. Agent ${expectedId} is not restored; its journal stays replayable.`;
    this.log.warn(message);
    notices.push({ level: 'warning', message });
    return undefined;
  }

  /** An older worker kept every record in one agents.json: split it into files, keep it. */
  private async importLegacy(notices: WorkerNotice[]): Promise<void> {
    const file = join(this.stateDir!, 'agents.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      text = '';
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      value = error;
    }
    if (!Array.isArray(value)) {
      const what = value instanceof Error ? `not JSON: ${value.message}` : 'not a list of records';
      const aside = await moveAside(file, 'unreadable');
      const message = `${file} is unreadable (${what}); moved to ${aside}. Its agents are not restored; their journals stay replayable.`;
      this.log.warn(message);
      notices.push({ level: 'warning', message });
      return;
    }
    let imported = 0;
    const bad: string[] = [];
    for (const [index, item] of value.entries()) {
      const parsed = AgentRecordSchema.safeParse(item);
      if (!parsed.success) {
        bad.push(`#${index} (${firstIssue(parsed.error)})`);
        continue;
      }
      const record = toRecord(parsed.data);
      await writeFileAtomic(this.fileOf(record.spec.agentId), JSON.stringify(record) + '\n', true);
      imported++;
    }
    const aside = await moveAside(file, 'imported');
    this.log.info(
      `imported ${imported} agent record(s) from ${file}; the file is kept as ${aside}`,
    );
    if (bad.length > 0) {
      const message = `${file}: ${bad.length} of ${value.length} record(s) were unreadable and skipped: ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', ...' : ''}. The original is kept as ${aside}.`;
      this.log.warn(message);
      notices.push({ level: 'warning', message });
    }
  }
}
