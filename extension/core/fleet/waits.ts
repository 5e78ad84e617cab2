// Two small waits of the fleet: whether a pod's own address answers (for `direct: "auto"`),
// and a leaving worker's drain (its connection down and what it received delivered).
import { connect as tcpConnect } from 'node:net';
import type { WorkerPool } from '../workers/workerPool';

const DIRECT_PROBE_MS = 1_000;

/**
 * Resolves once the worker's connection is down and what it received has been delivered
 * (or the worker is gone), or after `ms`.
 */
export function untilDisconnected(pool: WorkerPool, id: string, ms: number): Promise<void> {
  const client = pool.get(id);
  if (!client) return Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const down = new Promise<void>((resolve) => {
    if (client.status !== 'connected') return resolve();
    const subscription = client.onStatus(({ status }) => {
      if (status === 'connected') return;
      subscription.dispose();
      resolve();
    });
  });
  return Promise.race([
    down.then(() => client.whenDrained()),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]).finally(() => clearTimeout(timer));
}

/** Whether a TCP connection to the pod's own address opens (for `direct: "auto"`). */
export function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port, timeout: DIRECT_PROBE_MS });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
