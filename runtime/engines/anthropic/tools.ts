// The anthropic engine's own tools, all confined to the agent's cwd. Writes and commands
// ask the coordinator unless the permission mode allows them; plan mode is read-only.
import { exec } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { z } from 'zod';
import type { EngineContext } from '../engine';
import { confine } from './pathGuard';

export interface ToolSpec {
  name: string;
  description: string;
  input_schema: { type: 'object'; properties?: unknown; required?: string[] };
}

type Kind = 'read' | 'edit' | 'command';
interface LocalTool {
  spec: ToolSpec;
  kind: Kind;
  run(input: Record<string, unknown>, ctx: EngineContext, signal: AbortSignal): Promise<string>;
}

const MAX_OUTPUT = 100_000;
const clip = (text: string): string =>
  text.length > MAX_OUTPUT
    ? `${text.slice(0, MAX_OUTPUT)}\n[output truncated at ${MAX_OUTPUT} characters]`
    : text;
const str = (input: Record<string, unknown>, key: string): string => {
  const value = input[key];
  if (typeof value !== 'string') throw new Error(`Missing string argument "${key}".`);
  return value;
};
const schema = (
  properties: Record<string, { type: string; description: string }>,
  required: string[],
): ToolSpec['input_schema'] => ({ type: 'object', properties, required });

const LOCAL_TOOLS: LocalTool[] = [
  {
    kind: 'read',
    spec: {
      name: 'read_file',
      description: 'Read a text file inside the working directory.',
      input_schema: schema(
        { path: { type: 'string', description: 'Path relative to the working directory' } },
        ['path'],
      ),
    },
    run: async (input, ctx) => clip(await readFile(confine(ctx.cwd, str(input, 'path')), 'utf8')),
  },
  {
    kind: 'edit',
    spec: {
      name: 'write_file',
      description: 'Create or overwrite a file inside the working directory.',
      input_schema: schema(
        {
          path: { type: 'string', description: 'Path relative to the working directory' },
          content: { type: 'string', description: 'The whole new content' },
        },
        ['path', 'content'],
      ),
    },
    run: async (input, ctx) => {
      const file = confine(ctx.cwd, str(input, 'path'));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, str(input, 'content'));
      return `Wrote ${relative(ctx.cwd, file)}.`;
    },
  },
  {
    kind: 'edit',
    spec: {
      name: 'edit_file',
      description: 'Replace one exact occurrence of old_string with new_string in a file.',
      input_schema: schema(
        {
          path: { type: 'string', description: 'Path relative to the working directory' },
          old_string: { type: 'string', description: 'Exact text to replace (must occur once)' },
          new_string: { type: 'string', description: 'Replacement text' },
        },
        ['path', 'old_string', 'new_string'],
      ),
    },
    run: async (input, ctx) => {
      const file = confine(ctx.cwd, str(input, 'path'));
      const text = await readFile(file, 'utf8');
      const old = str(input, 'old_string');
      const count = text.split(old).length - 1;
      if (count !== 1)
        throw new Error(
          `old_string occurs ${count} times in ${str(input, 'path')}; it must occur exactly once. Include more context.`,
        );
      await writeFile(
        file,
        text.replace(old, () => str(input, 'new_string')),
      );
      return `Edited ${relative(ctx.cwd, file)}.`;
    },
  },
  {
    kind: 'read',
    spec: {
      name: 'list_files',
      description: 'List the entries of a directory inside the working directory.',
      input_schema: schema({ path: { type: 'string', description: 'Directory, default "."' } }, []),
    },
    run: async (input, ctx) => {
      const dir = confine(ctx.cwd, typeof input.path === 'string' ? input.path : '.');
      const entries = await readdir(dir, { withFileTypes: true });
      return (
        entries
          .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
          .sort()
          .join('\n') || '(empty)'
      );
    },
  },
  {
    kind: 'read',
    spec: {
      name: 'search_text',
      description: 'Find lines containing a text (case-sensitive) in files under a directory.',
      input_schema: schema(
        {
          text: { type: 'string', description: 'Text to find' },
          path: { type: 'string', description: 'Directory, default "."' },
        },
        ['text'],
      ),
    },
    run: async (input, ctx) => {
      const needle = str(input, 'text');
      const root = confine(ctx.cwd, typeof input.path === 'string' ? input.path : '.');
      const hits: string[] = [];
      const walk = async (dir: string, depth: number): Promise<void> => {
        if (depth > 12 || hits.length >= 200) return;
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          if (entry.name === 'node_modules' || entry.name === '.git') continue;
          const full = join(dir, entry.name);
          if (entry.isDirectory()) await walk(full, depth + 1);
          else if (entry.isFile() && (await stat(full)).size < 2_000_000) {
            (await readFile(full, 'utf8')).split('\n').forEach((line, i) => {
              if (line.includes(needle) && hits.length < 200)
                hits.push(`${relative(ctx.cwd, full)}:${i + 1}: ${line.slice(0, 300)}`);
            });
          }
        }
      };
      await walk(root, 0);
      return hits.join('\n') || 'No matches.';
    },
  },
  {
    kind: 'command',
    spec: {
      name: 'run_command',
      description: 'Run a shell command in the working directory (60 s limit).',
      input_schema: schema({ command: { type: 'string', description: 'The command line' } }, [
        'command',
      ]),
    },
    run: (input, ctx, signal) =>
      new Promise((resolve) => {
        exec(
          str(input, 'command'),
          {
            cwd: ctx.cwd,
            env: { ...process.env, ...ctx.env },
            timeout: 60_000,
            maxBuffer: 4 * 1024 * 1024,
            signal,
          },
          (error, stdout, stderr) => {
            const code = error ? ((error as { code?: number | string }).code ?? 1) : 0;
            resolve(
              clip(`exit code ${String(code)}\n${stdout}${stderr ? `\n[stderr]\n${stderr}` : ''}`),
            );
          },
        );
      }),
  },
];

const REPORT_SPEC: ToolSpec = {
  name: 'report',
  description:
    'Report your status to the coordinator: done (with a summary), needs_input (say what you need) or blocked (say what would unblock you).',
  input_schema: {
    type: 'object',
    properties: {
      status: { type: 'string', enum: ['done', 'blocked', 'needs_input'] },
      summary: { type: 'string' },
    },
    required: ['status', 'summary'],
  },
};

export function toolSpecs(ctx: EngineContext): ToolSpec[] {
  const extra = ctx.tools.map((t) => ({
    name: t.name,
    description: t.description,
    input_schema: z.toJSONSchema(z.object(t.inputShape)) as ToolSpec['input_schema'],
  }));
  const report = ctx.role === 'agent' ? [REPORT_SPEC] : [];
  return [...LOCAL_TOOLS.map((t) => t.spec), ...report, ...extra];
}

/** Runs one tool call; returns the result text and whether it is an error. */
export async function runTool(
  name: string,
  input: Record<string, unknown>,
  ctx: EngineContext,
  signal: AbortSignal,
): Promise<{ content: string; isError: boolean }> {
  try {
    if (name === 'report') {
      const { status, summary } = z
        .object({ status: z.enum(['done', 'blocked', 'needs_input']), summary: z.string() })
        .parse(input);
      ctx.report(status, summary);
      return { content: `Reported ${status} to the coordinator.`, isError: false };
    }
    const extra = ctx.tools.find((t) => t.name === name);
    if (extra) return { content: await extra.handler(input), isError: false };
    const local = LOCAL_TOOLS.find((t) => t.spec.name === name);
    if (!local) return { content: `Unknown tool "${name}".`, isError: true };
    const denial = await gate(local.kind, name, input, ctx, signal);
    if (denial) return { content: denial, isError: true };
    return { content: await local.run(input, ctx, signal), isError: false };
  } catch (error) {
    return { content: error instanceof Error ? error.message : String(error), isError: true };
  }
}

/** Returns why the call may not run, or undefined when it may. */
async function gate(
  kind: Kind,
  name: string,
  input: Record<string, unknown>,
  ctx: EngineContext,
  signal: AbortSignal,
): Promise<string | undefined> {
  if (kind === 'read') return undefined;
  const mode = ctx.permissionMode;
  if (mode === 'plan')
    return `Refused: ${name} changes things, and this agent is in plan mode (read-only). Present your plan instead.`;
  if (mode === 'bypassPermissions' || (mode === 'acceptEdits' && kind === 'edit')) return undefined;
  const decision = await ctx.requestPermission({ tool: name, input, request: 'tool' }, signal);
  if (decision.decision === 'allow') return undefined;
  return `The user denied ${name}${decision.message ? `: ${decision.message}` : '.'}`;
}
