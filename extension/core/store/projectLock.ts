// One writer per `.tavern/`: a lock file created with O_EXCL holding pid, host and time. A
// lock whose process is gone (same host) is stale and taken over; otherwise the second
// window opens the project read-only and says why.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

export type LockResult =
  { acquired: true } | { acquired: false; holder: LockHolder | undefined; message: string };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class ProjectLock {
  private held = false;
  readonly file: string;

  constructor(dir: string) {
    this.file = join(dir, 'lock');
  }

  acquire(): LockResult {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.file, 'wx', 0o600);
        const me: LockHolder = {
          pid: process.pid,
          host: hostname(),
          since: new Date().toISOString(),
        };
        writeSync(fd, JSON.stringify(me));
        closeSync(fd);
        this.held = true;
        return { acquired: true };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = this.read();
      if (holder && holder.host === hostname() && !alive(holder.pid)) {
        unlinkSync(this.file); // stale: its process is gone
        continue;
      }
      return {
        acquired: false,
        holder,
        message: holder
          ? `Another Tavern window (pid ${holder.pid} on ${holder.host}, since ${holder.since}) is writing this project's .tavern/; this window shows it read-only. Close the other window to take over.`
          : `This project's .tavern/lock exists but cannot be read; this window shows the project read-only. Delete ${this.file} if no other window is open.`,
      };
    }
    return { acquired: false, holder: undefined, message: `Could not take ${this.file}.` };
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    try {
      if (this.read()?.pid === process.pid) unlinkSync(this.file);
    } catch {
      // Already gone: nothing to release.
    }
  }

  private read(): LockHolder | undefined {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as LockHolder;
    } catch {
      return undefined;
    }
  }
}
