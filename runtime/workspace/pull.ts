// The worker's end of `agent/pull`: a bundle of the agent's branch from its base (minus
// what the caller already has) written to a file under the state dir and served chunk by
// chunk; the file goes when its last chunk is read or the pull is dropped.
import { mkdirSync } from 'node:fs';
import { link, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createBundle } from './bundle';
import { chunkCount, readChunk, type OutChunk } from './chunks';
import { WorkspaceError } from './errors';
import type { AgentBranch } from './worktree';

export interface PullOffer {
  /** Id for `chunk(pullId, index)`; absent when there is nothing to send. */
  pullId?: string;
  branch: string;
  base: string;
  head: string;
  /** Bundle size in bytes (0 when nothing to send). */
  bytes: number;
  chunks: number;
}

export class BundleOutbox {
  private readonly files = new Map<string, { file: string; chunks: number }>();
  /** Bundles made ahead (at the end of a turn), by agent: served when `have` is empty. */
  private readonly prepared = new Map<string, { head: string; file: string; bytes: number }>();

  constructor(
    private readonly dir: string,
    private readonly chunkBytes: number,
  ) {}

  /** Bundles `base..branch` of the worktree's repository, minus `have`. */
  async offer(
    worktree: AgentBranch & { head: string },
    have: readonly string[] = [],
  ): Promise<PullOffer> {
    const head = worktree.head;
    mkdirSync(this.dir, { recursive: true });
    const pullId = randomBytes(9).toString('base64url');
    const file = join(this.dir, `${pullId}.bundle`);
    const ready = this.prepared.get(worktree.agentId);
    if (ready && ready.head === head && have.length === 0) {
      // A hard link: a later prepare replaces the prepared file, never this offer's bytes.
      await link(ready.file, file);
      const chunks = chunkCount(ready.bytes, this.chunkBytes);
      this.files.set(pullId, { file, chunks });
      return {
        branch: worktree.branch,
        base: worktree.base,
        head,
        pullId,
        bytes: ready.bytes,
        chunks,
      };
    }
    const made = await createBundle(
      worktree.repo,
      file,
      [`refs/heads/${worktree.branch}`],
      have,
      undefined,
      [worktree.base],
    );
    const common = { branch: worktree.branch, base: worktree.base, head };
    if (!made) return { ...common, bytes: 0, chunks: 0 };
    const chunks = chunkCount(made.bytes, this.chunkBytes);
    this.files.set(pullId, { file, chunks });
    return { ...common, pullId, bytes: made.bytes, chunks };
  }

  /**
   * Makes the bundle of base..head now (call it after a turn's commit, off the pull's
   * path), so the next pull without `have` only streams it.
   */
  async prepare(worktree: AgentBranch & { head: string }): Promise<void> {
    if (this.prepared.get(worktree.agentId)?.head === worktree.head) return;
    mkdirSync(this.dir, { recursive: true });
    const temp = join(
      this.dir,
      `prepared-${worktree.agentId}-${randomBytes(6).toString('hex')}.tmp`,
    );
    const made = await createBundle(
      worktree.repo,
      temp,
      [`refs/heads/${worktree.branch}`],
      [],
      undefined,
      [worktree.base],
    );
    if (!made) {
      this.prepared.delete(worktree.agentId);
      return;
    }
    const file = join(this.dir, `prepared-${worktree.agentId}.bundle`);
    await rename(temp, file);
    this.prepared.set(worktree.agentId, { head: worktree.head, file, bytes: made.bytes });
  }

  /** Chunk `index` of an offer; after the last one the bundle file is removed. */
  async chunk(pullId: string, index: number): Promise<OutChunk> {
    const entry = this.files.get(pullId);
    if (!entry) {
      throw new WorkspaceError(
        'UnknownUpload',
        `Pull ${pullId} is not open (finished, dropped, or never made): call agent/pull again.`,
      );
    }
    const chunk = await readChunk(entry.file, index, this.chunkBytes);
    if (!chunk.more) await this.drop(pullId);
    return chunk;
  }

  async drop(pullId: string): Promise<void> {
    const entry = this.files.get(pullId);
    if (!entry) return;
    this.files.delete(pullId);
    await rm(entry.file, { force: true });
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.files.keys()].map((id) => this.drop(id)));
    await Promise.all([...this.prepared.values()].map((p) => rm(p.file, { force: true })));
    this.prepared.clear();
  }
}
