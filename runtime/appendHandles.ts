// Open append handles of journal files, least recently used first: an append per agent per
// tick reuses its handle instead of opening and closing the file each time, and at most
// `max` files stay open (a worker may hold thousands of agents).
import { open, type FileHandle } from 'node:fs/promises';
import { FILE_MODE } from './privateFiles';

export class AppendHandles<K> {
  private readonly handles = new Map<K, FileHandle>();
  /** Evicted handles, closed by `closeEvicted` once no write can be using them. */
  private evicted: FileHandle[] = [];

  constructor(private readonly max: number) {}

  async get(key: K, file: string): Promise<FileHandle> {
    const cached = this.handles.get(key);
    if (cached) {
      this.handles.delete(key);
      this.handles.set(key, cached);
      return cached;
    }
    const handle = await open(file, 'a', FILE_MODE);
    this.handles.set(key, handle);
    if (this.handles.size > this.max) {
      const [oldest, oldHandle] = this.handles.entries().next().value as [K, FileHandle];
      this.handles.delete(oldest);
      this.evicted.push(oldHandle);
    }
    return handle;
  }

  /** After a commit round: the evicted handles may have been writing in it. */
  closeEvicted(): void {
    for (const handle of this.evicted.splice(0)) void handle.close().catch(() => undefined);
  }

  async close(key: K): Promise<void> {
    const handle = this.handles.get(key);
    if (!handle) return;
    this.handles.delete(key);
    await handle.close().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.handles.keys()].map((key) => this.close(key)));
    this.closeEvicted();
  }
}
