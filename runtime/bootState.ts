// How the journals' host last stopped: cleanly (with every journal's exact last seq), or
// not, and on which boot of the machine. A crash on the same boot (kill -9) lost nothing
// that was written: the page cache survived. A crash across a reboot (a power cut) may have
// lost whatever was not yet fsynced, so seqs then continue above the high-water marks.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { uptime } from 'node:os';
import { z } from 'zod';
import { writeFileAtomic } from './privateFiles';

const BootFileSchema = z.object({
  bootId: z.string().optional(),
  bootTime: z.number(),
  clean: z.boolean(),
  /** With `clean`: every journal's last seq at shutdown. */
  lastSeqs: z.record(z.string(), z.number().int().nonnegative()).optional(),
});
type BootFile = z.infer<typeof BootFileSchema>;

export type PreviousStop =
  | { kind: 'first-start' }
  | { kind: 'clean'; lastSeqs: Record<string, number> }
  | { kind: 'crash-same-boot' }
  | { kind: 'crash-after-reboot' }
  | { kind: 'unreadable' };

interface Boot {
  bootId: string | undefined;
  bootTime: number;
}

export function currentBoot(): Boot {
  let bootId: string | undefined;
  try {
    bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    // Not Linux: the boot time from the uptime tells boots apart.
  }
  return { bootId, bootTime: Date.now() - uptime() * 1000 };
}

function sameBoot(a: Boot, b: Boot): boolean {
  if (a.bootId && b.bootId) return a.bootId === b.bootId;
  // Clock steps move the computed boot time a little; a reboot moves it by the old uptime.
  return Math.abs(a.bootTime - b.bootTime) < 60_000;
}

export async function readPreviousStop(file: string, now: Boot): Promise<PreviousStop> {
  let previous: BootFile;
  try {
    const parsed = BootFileSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (!parsed.success) return { kind: 'unreadable' };
    previous = parsed.data;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'first-start' };
    return { kind: 'unreadable' };
  }
  if (previous.clean) return { kind: 'clean', lastSeqs: previous.lastSeqs ?? {} };
  return sameBoot(now, { bootId: previous.bootId, bootTime: previous.bootTime })
    ? { kind: 'crash-same-boot' }
    : { kind: 'crash-after-reboot' };
}

/** Written (and synced) at start as "running", and at a clean stop with the last seqs. */
export function writeBootFile(
  file: string,
  boot: Boot,
  clean: boolean,
  lastSeqs?: Record<string, number>,
): Promise<void> {
  const content: BootFile = {
    ...(boot.bootId !== undefined ? { bootId: boot.bootId } : {}),
    bootTime: boot.bootTime,
    clean,
    ...(lastSeqs ? { lastSeqs } : {}),
  };
  return writeFileAtomic(file, JSON.stringify(content) + '\n', true);
}
