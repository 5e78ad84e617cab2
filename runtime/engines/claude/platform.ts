// Small facts about this machine that finding and installing Claude Code share: the binary's
// name, whether a file is a runnable executable, glibc or musl, and the Agent SDK's
// per-platform package name.
import { accessSync, constants, statSync } from 'node:fs';

export function claudeBinaryName(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'claude.exe' : 'claude';
}

export function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    // Windows has no executable bit: a file is enough there.
    if (process.platform !== 'win32') accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let musl: boolean | undefined;
/** Linux with musl libc (Alpine): the Agent SDK ships a separate `-musl` build for it. */
export function isMusl(): boolean {
  if (process.platform !== 'linux') return false;
  if (musl === undefined) {
    const report = process.report?.getReport() as
      { header?: { glibcVersionRuntime?: string } } | undefined;
    musl = !report?.header?.glibcVersionRuntime;
  }
  return musl;
}

/** `@anthropic-ai/claude-agent-sdk-<platform>-<arch>[-musl]`: the SDK's native CLI package. */
export function sdkPlatformPackage(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
  withMusl: boolean = platform === 'linux' && isMusl(),
): string {
  return `@anthropic-ai/claude-agent-sdk-${platform}-${arch}${withMusl ? '-musl' : ''}`;
}

/** Compares dotted numeric versions (`2.1.10` > `2.1.9`); a pre-release suffix is ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string): number[] =>
    v
      .split('-')[0]!
      .split('.')
      .map((n) => Number.parseInt(n, 10) || 0);
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
