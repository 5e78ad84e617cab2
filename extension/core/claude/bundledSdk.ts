// The Agent SDK bundled into the extension: its version picks the matching Claude Code build
// to download, and its optional dependencies say which platforms have one. Read from the
// SDK's own package.json at build time (esbuild inlines the two fields); the .vsix carries
// no node_modules.
import {
  optionalDependencies,
  version,
} from '../../../node_modules/@anthropic-ai/claude-agent-sdk/package.json';

/** e.g. `0.3.332`: the version of `@anthropic-ai/claude-agent-sdk-<platform>-<arch>` to fetch. */
export const BUNDLED_SDK_VERSION: string = version;

/** The per-platform packages this SDK version publishes (`...-linux-x64`, `...-darwin-arm64`). */
export const SDK_PLATFORM_PACKAGES: readonly string[] = Object.keys(optionalDependencies ?? {});
