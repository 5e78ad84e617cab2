// The one line a fleet shows in the Workers view and the log: where it looks and how many
// Ready pods are attached, or what is wrong (no pods, none Ready and why, the last error).
import type { WorkerGroup } from '../workers/workerPool';
import type { FleetSpec } from './fleetSpec';
import type { FleetError } from './kubeErrors';
import type { PodView } from './podView';

export interface FleetFacts {
  spec: FleetSpec;
  /** The kubeconfig context, once loaded. */
  context: string | undefined;
  error: FleetError | undefined;
  /** The first list of pods has come. */
  listed: boolean;
  pods: { pod: PodView; attached: boolean; lastError: string | undefined }[];
}

export function describeFleet(fleet: FleetFacts): { state: WorkerGroup['state']; message: string } {
  const { spec } = fleet;
  const where = fleet.context
    ? `context "${fleet.context}", namespace "${spec.namespace}"`
    : `namespace "${spec.namespace}"`;
  if (fleet.error) return { state: 'error', message: fleet.error.message };
  if (!fleet.listed) return { state: 'starting', message: `Listing pods (${where})…` };
  const pods = fleet.pods;
  const ready = pods.filter((s) => s.pod.ready && !s.pod.terminating);
  if (pods.length === 0)
    return {
      state: 'error',
      message: `No pods match "${spec.labelSelector}" (${where}). Deploy the workers (deploy/kubernetes in the Tavern repository) or fix labelSelector.`,
    };
  if (ready.length === 0) {
    const shown = pods
      .slice(0, 5)
      .map((s) => `${s.pod.name}: ${s.pod.condition}`)
      .join(', ');
    return {
      state: 'error',
      message: `No Ready pods: ${pods.length} match "${spec.labelSelector}" (${where}) but none is Ready (${shown}${pods.length > 5 ? ', …' : ''}). \`kubectl -n ${spec.namespace} describe pod NAME\` says why.`,
    };
  }
  const attached = pods.filter((s) => s.attached && !s.pod.terminating).length;
  const draining = pods.filter((s) => s.attached && s.pod.terminating).length;
  const failing = pods.filter((s) => s.lastError && !s.attached);
  const route =
    spec.direct === true ? 'pod IPs' : spec.direct ? 'pod IPs or port-forward' : 'port-forward';
  return {
    state: 'ready',
    message: `${attached} of ${ready.length} Ready pods attached${draining ? `, ${draining} draining` : ''} (${where}, via ${route})${failing.length ? `; ${failing.map((s) => `${s.pod.name}: ${s.lastError}`).join('; ')}` : ''}.`,
  };
}
