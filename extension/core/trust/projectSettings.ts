// What a folder's own Claude settings would do if an agent loaded them: hooks and helper
// commands it would run, and tools it would allow without asking. A repository ships these
// files, and the Agent SDK (unlike the Claude Code CLI) has no trust prompt, so Tavern asks the
// user once per folder and per content, showing exactly this.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The project-level files the `project` and `local` setting sources read. */
export const PROJECT_SETTINGS_FILES = [
  join('.claude', 'settings.json'),
  join('.claude', 'settings.local.json'),
];

/** Settings keys that name a command Claude Code runs. */
const COMMAND_KEYS = ['apiKeyHelper', 'awsAuthRefresh', 'awsCredentialExport', 'otelHeadersHelper'];

export interface ProjectSettingsReport {
  /** Lines saying what would run or be allowed ("hook SessionStart runs: touch x"). */
  readonly findings: string[];
  /** sha256 over the files' contents: an answer holds for this content only. */
  readonly hash: string;
  /** Files that exist but could not be read as JSON (they may still be loaded by Claude). */
  readonly unreadable: string[];
}

function hooksOf(settings: Record<string, unknown>, file: string, out: string[]): void {
  const hooks = settings.hooks;
  if (!hooks || typeof hooks !== 'object') return;
  for (const [event, matchers] of Object.entries(hooks as Record<string, unknown>)) {
    for (const matcher of Array.isArray(matchers) ? matchers : []) {
      const m = matcher as { matcher?: unknown; hooks?: unknown };
      for (const hook of Array.isArray(m.hooks) ? m.hooks : []) {
        const h = hook as { type?: unknown; command?: unknown; url?: unknown };
        const what =
          typeof h.command === 'string'
            ? `runs: ${h.command}`
            : typeof h.url === 'string'
              ? `calls: ${h.url}`
              : `does: ${JSON.stringify(hook).slice(0, 200)}`;
        const on = typeof m.matcher === 'string' && m.matcher ? ` (${m.matcher})` : '';
        out.push(`${file}: hook ${event}${on} ${what}`);
      }
    }
  }
}

/** Reads the folder's project settings files and lists what they would run or allow. */
export function inspectProjectSettings(folder: string): ProjectSettingsReport {
  const findings: string[] = [];
  const unreadable: string[] = [];
  const hash = createHash('sha256');
  for (const file of PROJECT_SETTINGS_FILES) {
    let text: string;
    try {
      text = readFileSync(join(folder, file), 'utf8');
    } catch {
      continue;
    }
    hash.update(`${file}\0${text}\0`);
    let settings: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (!parsed || typeof parsed !== 'object') throw new Error('not an object');
      settings = parsed as Record<string, unknown>;
    } catch {
      unreadable.push(file);
      findings.push(`${file}: not readable as JSON settings (Claude Code may still load it)`);
      continue;
    }
    hooksOf(settings, file, findings);
    const allow = (settings.permissions as { allow?: unknown } | undefined)?.allow;
    if (Array.isArray(allow) && allow.length > 0)
      findings.push(`${file}: allows without asking: ${allow.map(String).join(', ')}`);
    for (const key of COMMAND_KEYS)
      if (typeof settings[key] === 'string')
        findings.push(`${file}: ${key} runs: ${settings[key]}`);
    const status = settings.statusLine as { command?: unknown } | undefined;
    if (typeof status?.command === 'string')
      findings.push(`${file}: statusLine runs: ${status.command}`);
    if (settings.enableAllProjectMcpServers === true)
      findings.push(`${file}: starts every MCP server in .mcp.json without asking`);
  }
  return { findings, hash: hash.digest('hex'), unreadable };
}

/** What running without project settings turns off, for the question and the log. */
export const WITHOUT_PROJECT_SETTINGS =
  "Without them, agents here run with your own Claude settings only: the project's hooks, allow rules and other .claude/settings*.json entries do not apply, and CLAUDE.md, project slash commands and subagents are not loaded.";
