// Agent workspaces on the wire (architecture.md, "Agent workspaces"): the project moves to a
// worker as git bundles in chunks (`workspace/refs`, `workspace/push`), each agent works on
// its own worktree and branch, and its work comes back the same way (`agent/changes`,
// `agent/pull`). One constant per method next to its zod schemas, as in wire.ts.
import { z } from 'zod';
import { request } from './wireSpec';

const Id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\w.-]+$/, 'letters, digits, ".", "_" and "-" only');
const Sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'a full commit id');
/** A chunk of a bundle: base64, under the frame cap. */
const Chunk = z.string().max(24 * 1024 * 1024);

/** What `agent/spawn` carries for an agent that gets its own worktree. */
export const SpawnWorkspaceSchema = z.object({
  projectId: Id,
  /** The start commit: a snapshot of what the user sees. */
  commit: Sha,
  branch: z.string().max(200).optional(),
  /**
   * Only for a worker on the same disk (the local worker): the user's git directory, so the
   * worktree is made from it directly and no bundle moves.
   */
  repoPath: z.string().max(4096).optional(),
  /** The project folder inside the repository (a folder below the repository's top). */
  subdir: z.string().max(4096).optional(),
  /** Ignored files named by .worktreeinclude (e.g. .env) to copy into a local worktree. */
  includeFrom: z.string().max(4096).optional(),
});
export type SpawnWorkspace = z.infer<typeof SpawnWorkspaceSchema>;

export const WorkspaceRefs = request(
  'workspace/refs',
  z.object({ projectId: Id }),
  z.object({ commits: z.array(Sha) }),
);

export const WorkspacePush = request(
  'workspace/push',
  z.object({
    projectId: Id,
    uploadId: Id,
    index: z.number().int().nonnegative(),
    data: Chunk,
    last: z.boolean(),
  }),
  z.object({
    /** On the last chunk: the commits the bundle brought. */
    commits: z.array(Sha).optional(),
    bytes: z.number().int().nonnegative().optional(),
  }),
);

export const FileChangeSchema = z.object({
  path: z.string(),
  status: z.enum(['A', 'M', 'D', 'T']),
  additions: z.number().int().nonnegative(),
  deletions: z.number().int().nonnegative(),
  binary: z.boolean(),
});
export type FileChange = z.infer<typeof FileChangeSchema>;

export const AgentChanges = request(
  'agent/changes',
  z.object({
    agentId: z.string().min(1).max(128),
    /** Also a patch of at most this many bytes (cut with a note). */
    patchBytes: z.number().int().positive().max(4_000_000).optional(),
    paths: z.array(z.string().max(4096)).max(10_000).optional(),
  }),
  z.object({
    branch: z.string(),
    base: Sha,
    head: Sha,
    files: z.array(FileChangeSchema),
    patch: z.object({ text: z.string(), cut: z.boolean() }).optional(),
  }),
);

export const AgentPull = request(
  'agent/pull',
  z.object({
    agentId: z.string().min(1).max(128),
    /** Commits the caller has: left out of the bundle. */
    have: z.array(Sha).max(10_000).optional(),
    /** Later chunks of an offer: its id and the chunk's index. */
    pullId: Id.optional(),
    index: z.number().int().nonnegative().optional(),
  }),
  z.object({
    branch: z.string(),
    base: Sha,
    head: Sha,
    /** Bundle size; 0 when the caller has everything. */
    bytes: z.number().int().nonnegative(),
    chunks: z.number().int().nonnegative(),
    pullId: Id.optional(),
    index: z.number().int().nonnegative(),
    data: Chunk,
    more: z.boolean(),
  }),
);

export const WORKSPACE_REQUESTS = [WorkspaceRefs, WorkspacePush, AgentChanges, AgentPull] as const;
