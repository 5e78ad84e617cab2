// What the fleet needs to know of a pod: identity, readiness, address, and whether it is
// going away. Kept apart from client-node's large V1Pod type so the rules are in one place.
import type { V1Pod } from '@kubernetes/client-node';

export interface PodView {
  name: string;
  uid: string;
  /** The Ready condition is True (the readiness probe on /healthz passes). */
  ready: boolean;
  /** Has a deletionTimestamp: SIGTERM is on its way or under way. */
  terminating: boolean;
  /** Finished for good (phase Succeeded or Failed): it will not serve again. */
  finished: boolean;
  ip: string | undefined;
  /** For messages: the phase and, when not Ready, the first reason given. */
  condition: string;
}

export function viewPod(pod: V1Pod): PodView {
  const status = pod.status;
  const readyCondition = status?.conditions?.find((c) => c.type === 'Ready');
  const phase = status?.phase ?? 'Unknown';
  const waiting = status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting;
  const reason =
    waiting?.reason ??
    readyCondition?.reason ??
    (readyCondition ? undefined : 'no Ready condition');
  const ready = readyCondition?.status === 'True';
  const terminating = Boolean(pod.metadata?.deletionTimestamp);
  return {
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? '',
    ready,
    terminating,
    finished: phase === 'Succeeded' || phase === 'Failed',
    ip: status?.podIP || undefined,
    condition: terminating
      ? 'Terminating'
      : ready
        ? phase
        : `${phase}${reason ? ` (${reason})` : ''}`,
  };
}
