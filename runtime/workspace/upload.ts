// The worker's end of `workspace/push`: chunks of a bundle arrive in order under an
// uploadId, go to a file under the state dir, and on the last one the bundle is verified
// and fetched into the project's mirror. A bad chunk or bundle drops the upload and
// leaves the mirror as it was.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ChunkFile } from './chunks';
import { WorkspaceError } from './errors';
import { receiveBundle } from './mirror';
import { checkId } from './paths';

export interface PushChunk {
  projectId: string;
  uploadId: string;
  index: number;
  /** base64 bytes of this chunk. */
  data: string;
  last: boolean;
}

/** `{}` for a middle chunk; on the last, the commits the bundle brought (its heads). */
export interface PushResult {
  commits?: string[];
  bytes?: number;
}

interface Upload {
  projectId: string;
  file: ChunkFile;
  /** Serializes chunks of one upload even if the caller does not await between them. */
  queue: Promise<unknown>;
}

export interface BundleUploadsOptions {
  uploadsDir: string;
  /** Largest bundle accepted, in bytes. */
  maxBytes: number;
  /** The mirror for a project; throws UnknownProject when there is none. */
  mirrorOf(projectId: string): string;
}

export class BundleUploads {
  private readonly uploads = new Map<string, Upload>();

  constructor(private readonly options: BundleUploadsOptions) {}

  async receive(chunk: PushChunk): Promise<PushResult> {
    checkId('uploadId', chunk.uploadId);
    let upload = this.uploads.get(chunk.uploadId);
    if (!upload) {
      if (chunk.index !== 0) {
        throw new WorkspaceError(
          'UnknownUpload',
          `Upload ${chunk.uploadId} is not open (it never started, failed, or finished): ` +
            'send the bundle again from chunk 0.',
          { uploadId: chunk.uploadId },
        );
      }
      this.options.mirrorOf(chunk.projectId); // throws UnknownProject before any write
      mkdirSync(this.options.uploadsDir, { recursive: true });
      const path = join(this.options.uploadsDir, `${chunk.uploadId}.bundle`);
      upload = {
        projectId: chunk.projectId,
        file: new ChunkFile(path, this.options.maxBytes),
        queue: Promise.resolve(),
      };
      this.uploads.set(chunk.uploadId, upload);
    } else if (upload.projectId !== chunk.projectId) {
      throw new WorkspaceError(
        'BadChunk',
        `Upload ${chunk.uploadId} belongs to project ${upload.projectId}, not ${chunk.projectId}.`,
      );
    }
    const current = upload;
    const step = current.queue.then(() => this.step(chunk, current));
    current.queue = step.catch(() => undefined);
    return step;
  }

  private async step(chunk: PushChunk, upload: Upload): Promise<PushResult> {
    try {
      await upload.file.append(chunk.index, chunk.data);
      if (!chunk.last) return {};
      await upload.file.finish();
      const heads = await receiveBundle(this.options.mirrorOf(upload.projectId), upload.file.path);
      const bytes = upload.file.received;
      this.uploads.delete(chunk.uploadId);
      await upload.file.discard();
      return { commits: [...new Set(heads.map((h) => h.commit))], bytes };
    } catch (error) {
      await this.abort(chunk.uploadId);
      throw error;
    }
  }

  /** Drops an upload and its partial file. */
  async abort(uploadId: string): Promise<void> {
    const upload = this.uploads.get(uploadId);
    if (!upload) return;
    this.uploads.delete(uploadId);
    await upload.file.discard();
  }

  get open(): number {
    return this.uploads.size;
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.uploads.keys()].map((id) => this.abort(id)));
  }
}
