// The one-click Claude Code install: the Agent SDK's platform package for this OS and
// architecture, at the bundled SDK's version, from the npm registry into
// `<globalStorage>/claude-code/<version>/`. The tarball is checked against the registry's
// sha512 integrity before anything is extracted, the executable is tried once (`--version`),
// and the folder appears whole or not at all (staged, then renamed). Never part of a .vsix.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { errorMessage } from '../../../protocol/errors';
import {
  claudeBinaryName,
  isExecutable,
  sdkPlatformPackage,
} from '../../../runtime/engines/claude/platform';
import { BUNDLED_SDK_VERSION, SDK_PLATFORM_PACKAGES } from './bundledSdk';
import {
  cancelled,
  ClaudeInstallError,
  DEFAULT_REGISTRY,
  fetchManifest,
  isAbort,
  MANUAL_HINT,
  sha512Digests,
  unreachable,
} from './npmRegistry';

export interface InstallProgress {
  phase: 'metadata' | 'download' | 'extract' | 'verify';
  receivedBytes: number;
  /** From Content-Length; undefined when the registry does not say. */
  totalBytes: number | undefined;
}

export interface InstallClaudeOptions {
  /** `<globalStorage>/claude-code`: one folder per version below it. */
  installRoot: string;
  /** Default https://registry.npmjs.org/ (tavern.claudeInstall.registry). */
  registry?: string | undefined;
  /** Default the bundled Agent SDK's version. */
  version?: string;
  /** Default `@anthropic-ai/claude-agent-sdk-<platform>-<arch>[-musl]` for this machine. */
  packageName?: string;
  signal?: AbortSignal;
  onProgress?: (progress: InstallProgress) => void;
  /** Abort a download that sends nothing for this long (default 60 s). */
  stallMs?: number;
}

export interface InstalledClaude {
  /** The executable: `<installRoot>/<version>/claude[.exe]`. */
  path: string;
  /** The package version (= the Agent SDK's). */
  version: string;
  packageName: string;
  /** Bytes downloaded (0 when an earlier install was reused). */
  downloadedBytes: number;
  /** True when `<installRoot>/<version>` already held a working copy: nothing was fetched. */
  reused: boolean;
  /** What the binary printed for `--version`, e.g. `2.1.332 (Claude Code)`. */
  claudeVersion: string | undefined;
}

/** Unfinished installs (a crash, a killed window) older than this are cleaned up. */
const STALE_STAGE_MS = 24 * 60 * 60 * 1000;

export async function installClaudeCode(options: InstallClaudeOptions): Promise<InstalledClaude> {
  const registry = options.registry || DEFAULT_REGISTRY;
  const version = options.version ?? BUNDLED_SDK_VERSION;
  const packageName = options.packageName ?? sdkPlatformPackage();
  const binary = claudeBinaryName();
  const target = join(options.installRoot, version);
  const existing = join(target, binary);
  if (isExecutable(existing))
    return {
      path: existing,
      version,
      packageName,
      downloadedBytes: 0,
      reused: true,
      claudeVersion: await claudeVersion(existing).catch(() => undefined),
    };
  if (SDK_PLATFORM_PACKAGES.length > 0 && !SDK_PLATFORM_PACKAGES.includes(packageName))
    throw new ClaudeInstallError(
      'no_platform_package',
      `Claude Code has no build for ${process.platform}-${process.arch} (${packageName} is not among the Agent SDK's packages: ${SDK_PLATFORM_PACKAGES.map((p) => p.replace('@anthropic-ai/claude-agent-sdk-', '')).join(', ')}); ${MANUAL_HINT}.`,
    );

  await mkdir(options.installRoot, { recursive: true });
  await removeStaleStages(options.installRoot);
  const stage = join(options.installRoot, `.tmp-${randomBytes(6).toString('hex')}`);
  const tarball = `${stage}.tgz`;
  const report = (progress: InstallProgress): void => options.onProgress?.(progress);
  try {
    report({ phase: 'metadata', receivedBytes: 0, totalBytes: undefined });
    const manifest = await fetchManifest({
      registry,
      name: packageName,
      version,
      signal: options.signal,
    });
    const expected = sha512Digests(manifest.dist.integrity);
    if (expected.length === 0)
      throw new ClaudeInstallError(
        'integrity',
        `The npm registry at ${registry} gives no sha512 integrity for ${packageName}@${version}, so the download cannot be checked; nothing was installed. ${MANUAL_HINT}.`,
      );
    const tarballUrl = new URL(manifest.dist.tarball, registry).toString();
    const { bytes, digest } = await download(tarballUrl, tarball, registry, options, report);
    if (!expected.includes(digest))
      throw new ClaudeInstallError(
        'integrity',
        `The download of ${packageName}@${version} from ${tarballUrl} does not match the registry's integrity (expected sha512-${expected[0]}, got sha512-${digest}); nothing was installed. Try again; if it persists, the registry or a proxy is serving a different file: ${MANUAL_HINT}.`,
      );

    report({ phase: 'extract', receivedBytes: bytes, totalBytes: bytes });
    await mkdir(stage);
    await extract(tarball, stage, binary);
    const staged = join(stage, binary);
    await chmod(staged, 0o755);
    report({ phase: 'verify', receivedBytes: bytes, totalBytes: bytes });
    const printed = await claudeVersion(staged).catch((error: unknown) => {
      throw new ClaudeInstallError(
        'not_runnable',
        `The downloaded Claude Code (${packageName}@${version}) does not run on this machine: ${errorMessage(error)}; ${MANUAL_HINT}.`,
      );
    });
    await publish(stage, target, binary);
    return {
      path: existing,
      version,
      packageName,
      downloadedBytes: bytes,
      reused: false,
      claudeVersion: printed,
    };
  } catch (error) {
    if (error instanceof ClaudeInstallError) throw error;
    if (options.signal?.aborted || isAbort(error)) throw cancelled();
    throw new ClaudeInstallError(
      'disk',
      `Installing Claude Code into ${options.installRoot} failed: ${errorMessage(error)}; ${MANUAL_HINT}.`,
    );
  } finally {
    await rm(stage, { recursive: true, force: true }).catch(() => undefined);
    await rm(tarball, { force: true }).catch(() => undefined);
  }
}

/** Streams the tarball to `file`, hashing it on the way; a stalled download is aborted. */
async function download(
  url: string,
  file: string,
  registry: string,
  options: InstallClaudeOptions,
  report: (progress: InstallProgress) => void,
): Promise<{ bytes: number; digest: string }> {
  const stall = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stall.signal]) : stall.signal;
  const stallMs = options.stallMs ?? 60_000;
  let timer = setTimeout(() => stall.abort(), stallMs);
  const alive = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(), stallMs);
  };
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal });
    } catch (error) {
      if (options.signal?.aborted) throw cancelled();
      throw unreachable(registry, stall.signal.aborted ? new Error('no answer') : error);
    }
    if (!response.ok || !response.body)
      throw new ClaudeInstallError(
        'http',
        `Downloading ${url} failed: ${response.status} ${response.statusText}; try again later, or ${MANUAL_HINT}.`,
      );
    const totalBytes = Number(response.headers.get('content-length')) || undefined;
    const hash = createHash('sha512');
    let receivedBytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        alive();
        hash.update(chunk);
        receivedBytes += chunk.length;
        report({ phase: 'download', receivedBytes, totalBytes });
        done(null, chunk);
      },
    });
    try {
      await pipeline(
        Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
        meter,
        createWriteStream(file),
        { signal },
      );
    } catch (error) {
      if (options.signal?.aborted) throw cancelled();
      if (stall.signal.aborted)
        throw unreachable(registry, new Error(`the download stalled for ${stallMs / 1000} s`));
      throw unreachable(registry, error);
    }
    return { bytes: receivedBytes, digest: hash.digest('base64') };
  } finally {
    clearTimeout(timer);
  }
}

/** Only the executable leaves the tarball (`package/claude`); a package without it is bad. */
async function extract(tarball: string, into: string, binary: string): Promise<void> {
  const wanted = `package/${binary}`;
  try {
    await tar.x({ file: tarball, cwd: into, strip: 1, filter: (path) => path === wanted });
  } catch (error) {
    throw new ClaudeInstallError(
      'bad_package',
      `The downloaded package is not a readable tarball (${errorMessage(error)}); ${MANUAL_HINT}.`,
    );
  }
  if (!(await stat(join(into, binary)).catch(() => undefined))?.isFile())
    throw new ClaudeInstallError(
      'bad_package',
      `The downloaded package has no ${wanted}; ${MANUAL_HINT}.`,
    );
}

/** Renames the staged folder into place; another window may have finished first. */
async function publish(stage: string, target: string, binary: string): Promise<void> {
  try {
    await rename(stage, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw error;
    if (isExecutable(join(target, binary))) return; // a concurrent install won: keep it
    await rm(target, { recursive: true, force: true });
    await rename(stage, target);
  }
}

async function removeStaleStages(root: string): Promise<void> {
  const names = await readdir(root).catch(() => [] as string[]);
  const now = Date.now();
  await Promise.all(
    names
      .filter((name) => name.startsWith('.tmp-'))
      .map(async (name) => {
        const path = join(root, name);
        const info = await stat(path).catch(() => undefined);
        if (info && now - info.mtimeMs > STALE_STAGE_MS)
          await rm(path, { recursive: true, force: true }).catch(() => undefined);
      }),
  );
}

/** `claude --version`: proves the binary runs here (right OS, architecture and libc). */
function claudeVersion(executable: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      executable,
      ['--version'],
      {
        timeout: 60_000,
        windowsHide: true,
        env: { ...process.env, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' },
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(stderr.trim() || error.message));
        else resolve(stdout.trim());
      },
    );
  });
}
