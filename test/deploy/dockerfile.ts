// Reads the parts of deploy/container/Dockerfile that decide how the worker runs (RUN, ENV,
// USER, WORKDIR, ENTRYPOINT, CMD), so the image check runs what the file says instead of a
// copy that could drift from it. Only the instruction forms that file uses are understood.
import { readFileSync } from 'node:fs';

export interface DockerfileSpec {
  runs: string[];
  env: Record<string, string>;
  user: string | undefined;
  workdir: string | undefined;
  entrypoint: string[];
  cmd: string[];
}

/** Joins continued lines, drops comments, splits `INSTRUCTION args`. */
function instructions(text: string): [string, string][] {
  const out: [string, string][] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!current && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    const m = /^(\w+)\s+([\s\S]*)$/.exec(current.trim());
    if (m) out.push([m[1]!.toUpperCase(), m[2]!.trim()]);
    current = '';
  }
  return out;
}

/** `ENV A=1 B=$A:x` with ${VAR}/$VAR expanded from what came before (the base image's). */
function parseEnv(args: string, env: Record<string, string>): void {
  for (const m of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
    const value = m[2]!.replace(/^"|"$/g, '');
    env[m[1]!] = value.replace(/\$\{?(\w+)\}?/g, (_, name: string) => env[name] ?? '');
  }
}

export function readDockerfile(file: string, baseEnv: Record<string, string>): DockerfileSpec {
  const spec: DockerfileSpec = {
    runs: [],
    env: { ...baseEnv },
    user: undefined,
    workdir: undefined,
    entrypoint: [],
    cmd: [],
  };
  for (const [op, args] of instructions(readFileSync(file, 'utf8'))) {
    if (op === 'RUN') spec.runs.push(args);
    else if (op === 'ENV') parseEnv(args, spec.env);
    else if (op === 'USER') spec.user = args;
    else if (op === 'WORKDIR') spec.workdir = args;
    else if (op === 'ENTRYPOINT') spec.entrypoint = JSON.parse(args) as string[];
    else if (op === 'CMD') spec.cmd = JSON.parse(args) as string[];
  }
  return spec;
}
