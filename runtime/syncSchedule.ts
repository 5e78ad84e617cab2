// The journals' fsync policy, in one place: files written since the last sync are
// fdatasynced at most every `everyMs` (and when asked, at a clean stop), together with their
// directory when new files appeared in it. A sync runs after the previous one, never beside.
import { open } from 'node:fs/promises';
import { errorMessage } from '../protocol/errors';
import type { Logger } from './log';
import { syncDir } from './privateFiles';

export class SyncSchedule {
  private readonly dirty = new Set<string>();
  private dirGrew = false;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly everyMs: number,
    private readonly log: Logger,
  ) {}

  /** A file was written (`created`: it is new in the directory). */
  written(file: string, created: boolean): void {
    this.dirty.add(file);
    if (created) this.dirGrew = true;
    if (this.timer || this.everyMs <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.now();
    }, this.everyMs);
    this.timer.unref();
  }

  /** Syncs everything written so far; resolves when it is on disk. */
  now(): Promise<void> {
    const files = [...this.dirty];
    this.dirty.clear();
    const dirToo = this.dirGrew;
    this.dirGrew = false;
    this.syncing = this.syncing.then(async () => {
      await Promise.all(files.map((file) => datasync(file, this.log)));
      if (dirToo) await syncDir(this.dir);
    });
    return this.syncing;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

async function datasync(file: string, log: Logger): Promise<void> {
  try {
    const handle = await open(file, 'r+');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    log.warn(`could not sync ${file}: ${errorMessage(error)}`);
  }
}
