// The one npm registry call the Claude Code install needs: a package version's manifest, for
// its tarball address and its sha512 integrity. Errors say what to do without a registry.
import { z } from 'zod';
import { errorMessage } from '../../../protocol/errors';

export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

/** What went wrong, for callers that react differently (e.g. offer tavern.claudePath). */
export type InstallErrorCode =
  | 'offline'
  | 'http'
  | 'no_platform_package'
  | 'integrity'
  | 'bad_package'
  | 'not_runnable'
  | 'cancelled'
  | 'disk';

export class ClaudeInstallError extends Error {
  constructor(
    readonly code: InstallErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ClaudeInstallError';
  }
}

export const MANUAL_HINT =
  'set tavern.claudePath to an installed claude, or install Claude Code (npm i -g @anthropic-ai/claude-code)';

const ManifestSchema = z.object({
  name: z.string(),
  version: z.string(),
  dist: z.object({
    tarball: z.string().min(1),
    integrity: z.string().optional(),
    unpackedSize: z.number().optional(),
  }),
});
export type PackageManifest = z.infer<typeof ManifestSchema>;

/** `https://registry.npmjs.org/` + `@scope%2fname/1.2.3`, the way npm asks. */
export function manifestUrl(registry: string, name: string, version: string): URL {
  const base = registry.endsWith('/') ? registry : `${registry}/`;
  return new URL(`${name.replace('/', '%2f')}/${encodeURIComponent(version)}`, base);
}

export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** fetch() says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, ...) is its cause. */
export function networkReason(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  return cause ? errorMessage(cause) : errorMessage(error);
}

export function cancelled(): ClaudeInstallError {
  return new ClaudeInstallError(
    'cancelled',
    'Installing Claude Code was cancelled; nothing was kept.',
  );
}

export function unreachable(registry: string, error: unknown): ClaudeInstallError {
  return new ClaudeInstallError(
    'offline',
    `Could not reach the npm registry at ${registry}: ${networkReason(error)}; ${MANUAL_HINT}.`,
  );
}

export async function fetchManifest(options: {
  registry: string;
  name: string;
  version: string;
  signal?: AbortSignal | undefined;
}): Promise<PackageManifest> {
  const { registry, name, version } = options;
  const url = manifestUrl(registry, name, version);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json' },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw cancelled();
    throw unreachable(registry, error);
  }
  if (response.status === 404)
    throw new ClaudeInstallError(
      'no_platform_package',
      `The npm registry at ${registry} has no ${name}@${version} (404): there is no Claude Code build for this platform there; ${MANUAL_HINT}.`,
    );
  if (!response.ok)
    throw new ClaudeInstallError(
      'http',
      `The npm registry at ${registry} answered ${response.status} ${response.statusText} for ${name}@${version}; try again later, or ${MANUAL_HINT}.`,
    );
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    if (options.signal?.aborted) throw cancelled();
    throw new ClaudeInstallError(
      'http',
      `The npm registry at ${registry} sent an unreadable manifest for ${name}@${version} (${errorMessage(error)}); ${MANUAL_HINT}.`,
    );
  }
  const parsed = ManifestSchema.safeParse(body);
  if (!parsed.success || parsed.data.name !== name || parsed.data.version !== version)
    throw new ClaudeInstallError(
      'http',
      `The npm registry at ${registry} sent a manifest that is not ${name}@${version}; ${MANUAL_HINT}.`,
    );
  return parsed.data;
}

/** The sha512 digests (base64) an SRI string allows; npm's `dist.integrity` is one. */
export function sha512Digests(integrity: string | undefined): string[] {
  return (integrity ?? '')
    .split(/\s+/)
    .filter((entry) => entry.startsWith('sha512-'))
    .map((entry) => entry.slice('sha512-'.length).split('?')[0] ?? '');
}
