// CPU and memory per process from /proc (Linux), so a benchmark on a small machine can show
// where its cores went: this process, each worker, and the browser's processes by role.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const HZ = 100;

export interface ProcSample {
  pid: number;
  ppid: number;
  /** utime + stime, in seconds. */
  cpuSec: number;
  rssMb: number;
}

/** One process's CPU and RSS; undefined when it is gone (or not on Linux). */
export function sample(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const cpuSec = (Number(fields[11]) + Number(fields[12])) / HZ;
    const rssPages = Number(fields[21]);
    return { pid, ppid, cpuSec, rssMb: (rssPages * 4096) / 1024 / 1024 };
  } catch {
    return undefined;
  }
}

/** Every live descendant of `root` (children, their children, ...). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = sample(Number(name));
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const stack = [...(children.get(root) ?? [])];
  for (let pid = stack.pop(); pid !== undefined; pid = stack.pop()) {
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** A process's role in the browser (`renderer`, `gpu-process`, ...; `browser` for the main one). */
export function chromiumRole(pid: number): string | undefined {
  try {
    // Chromium rewrites its children's titles into one space-separated string.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
    if (!/chrom/i.test(cmdline[0] ?? '')) return undefined;
    const type = cmdline.find((a) => a.startsWith('--type='));
    return type ? type.slice('--type='.length) : 'browser';
  } catch {
    return undefined;
  }
}

/** CPU seconds of a set of processes between two points: start() then stop(). */
export class CpuMeter {
  private readonly start = new Map<number, number>();

  constructor(private readonly pids: () => number[]) {
    for (const pid of pids()) this.start.set(pid, sample(pid)?.cpuSec ?? 0);
  }

  /** CPU seconds each process used since the meter was made (new processes from zero). */
  used(): Map<number, number> {
    const out = new Map<number, number>();
    for (const pid of this.pids()) {
      const now = sample(pid)?.cpuSec;
      if (now !== undefined) out.set(pid, now - (this.start.get(pid) ?? 0));
    }
    return out;
  }
}

/** CPU seconds summed per role (a browser has several renderers, utilities...). */
export function cpuByRole(
  used: Map<number, number>,
  roles: Map<number, string>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [pid, sec] of used) {
    const role = roles.get(pid) ?? String(pid);
    out.set(role, (out.get(role) ?? 0) + sec);
  }
  return out;
}
