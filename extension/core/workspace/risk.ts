// Changed files that make code run on the user's machine (tasks, launch configs, workspace
// settings, CI workflows, package scripts, git hooks, build files): the review warns about
// them before the user applies.
import { git } from '../../../runtime/workspace/git';

export interface RiskFlag {
  path: string;
  reason: string;
}

const RULES: { test: RegExp; reason: string }[] = [
  { test: /^\.vscode\/tasks\.json$/, reason: 'VS Code tasks run shell commands' },
  { test: /^\.vscode\/launch\.json$/, reason: 'launch configurations run programs when you debug' },
  {
    test: /^\.vscode\/settings\.json$/,
    reason: 'workspace settings can point tools at programs to run',
  },
  {
    test: /\.code-workspace$/,
    reason: 'workspace files carry settings, tasks and launch configurations',
  },
  { test: /^\.github\/workflows\//, reason: 'CI workflows run code on push' },
  { test: /^\.github\/actions\//, reason: 'CI actions run code on push' },
  { test: /^\.husky\//, reason: 'git hooks run on commit or push' },
  { test: /^\.githooks\//, reason: 'git hooks run on commit or push' },
  { test: /(^|\/)(lefthook|\.lefthook)\.ya?ml$/, reason: 'git hooks run on commit or push' },
  { test: /^\.pre-commit-config\.yaml$/, reason: 'pre-commit hooks run on commit' },
  { test: /(^|\/)(GNUmakefile|[Mm]akefile)$/, reason: 'make targets run shell commands' },
  { test: /(^|\/)\.envrc$/, reason: 'direnv runs it when you enter the folder' },
  {
    test: /^\.devcontainer\//,
    reason: 'dev container configs run commands when the container starts',
  },
  { test: /^\.gitattributes$/, reason: 'attributes can name filter and diff programs' },
  { test: /^\.gitmodules$/, reason: 'submodule URLs decide what code is fetched' },
  { test: /(^|\/)\.npmrc$/, reason: 'npm settings can change what install runs' },
];

/** The flag for one path, by its name alone (package.json needs its content: see riskyChanges). */
export function riskOfPath(path: string): string | undefined {
  return RULES.find((rule) => rule.test.test(path))?.reason;
}

async function scriptsAt(
  cwd: string,
  env: Record<string, string>,
  rev: string,
  path: string,
): Promise<string> {
  const r = await git(['show', `${rev}:${path}`], { cwd, env, okCodes: [128] });
  if (r.code !== 0) return '{}';
  try {
    const json = JSON.parse(r.stdout) as { scripts?: unknown };
    return JSON.stringify(json.scripts ?? {});
  } catch {
    return 'unparsable';
  }
}

/**
 * Flags among `paths` changed from `base` to `head` in the repository at `cwd`; a
 * package.json is flagged only when its `scripts` changed (or it cannot be parsed).
 */
export async function riskyChanges(
  cwd: string,
  base: string,
  head: string,
  paths: readonly string[],
  env: Record<string, string> = {},
): Promise<RiskFlag[]> {
  const flags: RiskFlag[] = [];
  for (const path of paths) {
    const reason = riskOfPath(path);
    if (reason) flags.push({ path, reason });
    else if (/(^|\/)package\.json$/.test(path)) {
      const [before, after] = await Promise.all([
        scriptsAt(cwd, env, base, path),
        scriptsAt(cwd, env, head, path),
      ]);
      if (before !== after)
        flags.push({ path, reason: 'its npm scripts changed (they run on install, test, build)' });
    }
  }
  return flags;
}
