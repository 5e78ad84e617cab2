// Open append descriptors of journal files, least recently used first: an append per agent
// per tick reuses its descriptor instead of opening and closing the file each time, and at
// most `max` files stay open (a worker may hold thousands of agents).
import { close, open, openSync, write, writeSync } from 'node:fs';
import { FILE_MODE } from './privateFiles';

const openAsync = (file: string): Promise<number> =>
  new Promise((resolve, reject) =>
    open(file, 'a', FILE_MODE, (error, fd) => (error ? reject(error) : resolve(fd))),
  );
const writeAsync = (fd: number, data: Buffer, offset: number): Promise<number> =>
  new Promise((resolve, reject) =>
    write(fd, data, offset, data.length - offset, null, (error, written) =>
      error ? reject(error) : resolve(written),
    ),
  );
const closeQuietly = (fd: number): void => close(fd, () => undefined);

export class AppendHandles<K> {
  private readonly fds = new Map<K, number>();
  /** Evicted descriptors, closed by `closeEvicted` once no write can be using them. */
  private evicted: number[] = [];

  constructor(private readonly max: number) {}

  /** A descriptor opened elsewhere (a new journal, created synchronously). */
  adopt(key: K, fd: number): void {
    this.fds.set(key, fd);
    this.evictOver();
  }

  /** Appends all of `data` (a short write continues where it stopped). */
  async append(key: K, file: string, data: Buffer): Promise<void> {
    let fd = this.fds.get(key);
    if (fd === undefined) {
      fd = await openAsync(file);
      this.fds.set(key, fd);
      this.evictOver();
    } else {
      this.fds.delete(key);
      this.fds.set(key, fd);
    }
    for (let done = 0; done < data.length;) done += await writeAsync(fd, data, done);
  }

  /**
   * The same, synchronously: for a writer on a busy event loop, where each asynchronous step
   * waits for a turn of the loop (see TavernStore's flush).
   */
  appendSync(key: K, file: string, data: Buffer): void {
    let fd = this.fds.get(key);
    if (fd === undefined) {
      fd = openSync(file, 'a', FILE_MODE);
      this.fds.set(key, fd);
      this.evictOver();
    } else {
      this.fds.delete(key);
      this.fds.set(key, fd);
    }
    for (let done = 0; done < data.length;)
      done += writeSync(fd, data, done, data.length - done, null);
  }

  /** After a commit round: the evicted descriptors may have been writing in it. */
  closeEvicted(): void {
    for (const fd of this.evicted.splice(0)) closeQuietly(fd);
  }

  close(key: K): void {
    const fd = this.fds.get(key);
    if (fd === undefined) return;
    this.fds.delete(key);
    closeQuietly(fd);
  }

  closeAll(): void {
    for (const key of [...this.fds.keys()]) this.close(key);
    this.closeEvicted();
  }

  private evictOver(): void {
    if (this.fds.size <= this.max) return;
    const [oldest, fd] = this.fds.entries().next().value as [K, number];
    this.fds.delete(oldest);
    this.evicted.push(fd);
  }
}
