// Moving a file (a git bundle) as base64 chunks that each fit in one JSON-RPC frame: the
// sender reads it chunk by chunk, the receiver appends chunks in order to a file.
import { createWriteStream, type WriteStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { WorkspaceError } from './errors';

/** Room left in a frame for the JSON-RPC envelope and the other params. */
const ENVELOPE_BYTES = 4096;
/** Chunks are kept small enough to show progress and to keep memory flat. */
export const MAX_CHUNK_BYTES = 4 * 1024 * 1024;

/** Raw bytes per chunk so that its base64 plus the envelope stays under `frameCapBytes`. */
export function chunkBytesFor(frameCapBytes: number): number {
  const raw = Math.floor(((frameCapBytes - ENVELOPE_BYTES) * 3) / 4);
  const bytes = Math.min(MAX_CHUNK_BYTES, raw - (raw % 3));
  if (bytes < 3) {
    throw new WorkspaceError(
      'BadChunk',
      `A frame cap of ${frameCapBytes} bytes leaves no room for data: raise it above ${ENVELOPE_BYTES + 4}.`,
    );
  }
  return bytes;
}

export interface OutChunk {
  index: number;
  /** base64 of this chunk's bytes. */
  data: string;
  /** More chunks follow (false on the last one). */
  more: boolean;
}

/** Number of chunks a file of `size` bytes takes (an empty file still sends one). */
export function chunkCount(size: number, chunkBytes: number): number {
  return Math.max(1, Math.ceil(size / chunkBytes));
}

/** Reads chunk `index` of `file`. */
export async function readChunk(
  file: string,
  index: number,
  chunkBytes: number,
): Promise<OutChunk> {
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const count = chunkCount(size, chunkBytes);
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new WorkspaceError(
        'BadChunk',
        `Chunk ${index} does not exist: this bundle has chunks 0..${count - 1}.`,
      );
    }
    const start = index * chunkBytes;
    const length = Math.min(chunkBytes, size - start);
    const buffer = Buffer.alloc(Math.max(0, length));
    if (length > 0) await handle.read(buffer, 0, length, start);
    return { index, data: buffer.toString('base64'), more: index < count - 1 };
  } finally {
    await handle.close();
  }
}

/** Every chunk of `file`, in order. */
export async function* readChunks(file: string, chunkBytes: number): AsyncGenerator<OutChunk> {
  const count = chunkCount((await stat(file)).size, chunkBytes);
  for (let i = 0; i < count; i++) yield await readChunk(file, i, chunkBytes);
}

/** Receives chunks 0, 1, 2... into a file; refuses gaps, repeats, bad base64 and overflow. */
export class ChunkFile {
  private next = 0;
  private bytes = 0;
  private readonly out: WriteStream;
  private failed: Error | undefined;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
  ) {
    this.out = createWriteStream(path, { flags: 'wx' });
    this.out.on('error', (error) => (this.failed = error));
  }

  get received(): number {
    return this.bytes;
  }

  async append(index: number, data: string): Promise<void> {
    if (this.failed) throw this.failed;
    if (index !== this.next) {
      throw new WorkspaceError(
        'BadChunk',
        `Chunk ${index} arrived out of order: expected chunk ${this.next}. Start the upload again from chunk 0 with a new uploadId.`,
        { expected: this.next, got: index },
      );
    }
    // Node skips characters that are not base64, so a decoded length short of what the
    // text's length promises means bad input; cheaper than a regex over megabytes.
    const buffer = Buffer.from(data, 'base64');
    const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
    if (data.length % 4 !== 0 || buffer.length !== (data.length / 4) * 3 - padding) {
      throw new WorkspaceError('BadChunk', `Chunk ${index} is not valid base64.`);
    }
    if (this.bytes + buffer.length > this.maxBytes) {
      throw new WorkspaceError(
        'BadChunk',
        `The upload passed its cap of ${this.maxBytes} bytes at chunk ${index}; raise the cap or send less.`,
      );
    }
    this.next++;
    this.bytes += buffer.length;
    if (!this.out.write(buffer)) await new Promise<void>((r) => this.out.once('drain', r));
  }

  /** Flushes and closes the file. */
  async finish(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.out.end((error?: Error | null) => (error ? reject(error) : resolve()));
    });
    if (this.failed) throw this.failed;
  }

  /** Closes and deletes the partial file. */
  async discard(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (this.out.closed) return resolve();
      this.out.once('close', () => resolve());
      this.out.destroy();
    });
    await rm(this.path, { force: true });
  }
}
