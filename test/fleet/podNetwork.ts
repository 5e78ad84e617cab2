// A pod's network for the fleet tests: its own network namespace (`ip netns`, as root) with a
// veth pair to this namespace, so a worker listens on 0.0.0.0:PORT with its own IP exactly as
// in a pod. Where network namespaces cannot be made (not root, no iproute2), a loopback
// address per pod (127.77.x.y: Linux routes all of 127/8 to lo) stands in, and says so
// (TAVERN_TEST_NO_NETNS=1 asks for that fallback).
// Addresses come from 198.18.0.0/15, the range set aside for network tests (RFC 2544).
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface PodNet {
  readonly ip: string;
  /** The address the worker listens on (0.0.0.0 in a namespace, its own IP otherwise). */
  readonly listenHost: string;
  spawn(command: string, args: string[], options: SpawnOptions): ChildProcess;
  dispose(): void;
}

export interface PodNetworks {
  readonly kind: 'netns' | 'loopback';
  /** Why netns is not used, when it is not. */
  readonly note?: string;
  create(index: number): PodNet;
  /** Removes every namespace this run made (afterAll). */
  disposeAll(): void;
}

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function netnsWorks(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  const probe = `tvfprobe${randomBytes(3).toString('hex')}`;
  try {
    ip(['netns', 'add', probe]);
    ip(['netns', 'del', probe]);
    return undefined;
  } catch (error) {
    return `ip netns failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  }
}

export function podNetworks(options: { forceLoopback?: boolean } = {}): PodNetworks {
  const run = randomBytes(2).toString('hex');
  const why =
    options.forceLoopback || process.env.TAVERN_TEST_NO_NETNS === '1'
      ? 'loopback asked for'
      : netnsWorks();
  const made = new Set<string>();
  if (why) {
    return {
      kind: 'loopback',
      note: `network namespaces unavailable (${why}): pods are loopback addresses 127.77.x.y`,
      create(index) {
        const address = `127.77.${parseInt(run, 16) & 255}.${index + 1}`;
        if (index > 253) throw new Error('at most 254 loopback pods per run');
        return {
          ip: address,
          listenHost: address,
          spawn: (command, args, options) => spawn(command, args, options),
          dispose: () => undefined,
        };
      },
      disposeAll: () => undefined,
    };
  }
  // One /24 of 198.18.0.0/15 per run, so parallel runs do not collide. Addresses of pods
  // that are gone must fail here, at once, and never leave the machine: the block is
  // unreachable except through the veth of a live pod (a more specific route).
  let block = '';
  for (let attempt = 0; !block; attempt++) {
    const candidate = `198.${18 + (randomBytes(1)[0]! & 1)}.${randomBytes(1)[0]!}`;
    try {
      ip(['route', 'add', 'unreachable', `${candidate}.0/24`]);
      block = candidate;
    } catch (error) {
      if (attempt >= 8) throw error; // taken by another run: try another block
    }
  }
  return {
    kind: 'netns',
    create(index) {
      if (index > 62) throw new Error('at most 63 pods per run');
      const ns = `tvf-${run}-${index}`;
      const host = `tvf${run}h${index}`;
      const peer = `tvf${run}p${index}`;
      const hostIp = `${block}.${index * 4 + 1}`;
      const podIp = `${block}.${index * 4 + 2}`;
      ip(['netns', 'add', ns]);
      made.add(ns);
      ip(['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
      ip(['link', 'set', peer, 'netns', ns]);
      ip(['addr', 'add', `${hostIp}/30`, 'dev', host]);
      ip(['link', 'set', host, 'up']);
      ip(['-n', ns, 'addr', 'add', `${podIp}/30`, 'dev', peer]);
      ip(['-n', ns, 'link', 'set', peer, 'up']);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      return {
        ip: podIp,
        listenHost: '0.0.0.0',
        spawn: (command, args, options) =>
          spawn('ip', ['netns', 'exec', ns, command, ...args], options),
        dispose() {
          // Deleting the namespace removes the veth pair with it.
          if (!made.delete(ns)) return;
          try {
            ip(['netns', 'del', ns]);
          } catch {
            // Already gone.
          }
        },
      };
    },
    disposeAll() {
      for (const ns of made) {
        try {
          ip(['netns', 'del', ns]);
        } catch {
          // Already gone.
        }
      }
      made.clear();
      try {
        ip(['route', 'del', 'unreachable', `${block}.0/24`]);
      } catch {
        // Already gone.
      }
    },
  };
}
