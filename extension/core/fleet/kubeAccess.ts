// The fleet's view of one cluster through @kubernetes/client-node and the user's kubeconfig:
// which kubeconfig and context (with clear errors when there is none), reading a Secret key,
// and a pod informer (list + watch, re-listing after a gap). Errors name the verb and the
// resource, so an RBAC refusal says exactly what to grant.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  CoreV1Api,
  KubeConfig,
  makeInformer,
  type Informer,
  type V1Pod,
} from '@kubernetes/client-node';
import { describeKubeError, FleetError, errorMessage, type KubeCall } from './kubeErrors';

export interface KubeConfigSource {
  /** An explicit file (the fleet's `kubeconfig`). */
  file?: string;
  /** The fleet's `context`; default: the kubeconfig's current context. */
  context?: string;
  /** Where $KUBECONFIG comes from (the extension host's environment). */
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/** Loads the kubeconfig as kubectl would ($KUBECONFIG list, else ~/.kube/config). */
export function loadKubeConfig(source: KubeConfigSource): { kc: KubeConfig; files: string[] } {
  const env = source.env ?? process.env;
  const home = source.home ?? homedir();
  const candidates = source.file
    ? [source.file]
    : env.KUBECONFIG
      ? env.KUBECONFIG.split(delimiter).filter(Boolean)
      : [join(home, '.kube', 'config')];
  const files = candidates.filter((f) => existsSync(f));
  if (files.length === 0) {
    const looked = source.file
      ? `the fleet's kubeconfig ${source.file}`
      : env.KUBECONFIG
        ? `$KUBECONFIG (${candidates.join(', ')})`
        : `${candidates[0]} ($KUBECONFIG is not set)`;
    throw new FleetError(
      'no-kubeconfig',
      `No kubeconfig found: looked at ${looked}. Create one (e.g. your cloud's "get-credentials" command, or \`kubectl config\`), or set "kubeconfig" in the fleet's tavern.fleets entry.`,
    );
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(files[0]!);
    for (const file of files.slice(1)) {
      const more = new KubeConfig();
      more.loadFromFile(file);
      kc.mergeConfig(more);
    }
  } catch (error) {
    throw new FleetError(
      'no-kubeconfig',
      `The kubeconfig ${files.join(', ')} could not be read: ${errorMessage(error)}`,
    );
  }
  const contexts = kc.getContexts().map((c) => c.name);
  const wanted = source.context ?? kc.getCurrentContext();
  if (!wanted) {
    throw new FleetError(
      'no-context',
      `The kubeconfig ${files.join(', ')} has no current context. Set "context" in the fleet (contexts: ${contexts.join(', ') || 'none'}), or run \`kubectl config use-context NAME\`.`,
    );
  }
  if (!kc.getContextObject(wanted)) {
    throw new FleetError(
      'no-context',
      `The kubeconfig ${files.join(', ')} has no context "${wanted}" (contexts: ${contexts.join(', ') || 'none'}). Fix "context" in tavern.fleets.`,
    );
  }
  kc.setCurrentContext(wanted);
  if (!kc.getCurrentCluster()) {
    throw new FleetError(
      'no-context',
      `Context "${wanted}" in ${files.join(', ')} names a cluster that the kubeconfig does not define.`,
    );
  }
  return { kc, files };
}

export class KubeAccess {
  readonly context: string;
  readonly server: string;
  private readonly core: CoreV1Api;

  constructor(
    readonly kc: KubeConfig,
    readonly namespace: string,
  ) {
    this.context = kc.getCurrentContext();
    this.server = kc.getCurrentCluster()?.server ?? '(no server)';
    this.core = kc.makeApiClient(CoreV1Api);
  }

  call(verb: KubeCall['verb'], resource: string, name?: string): KubeCall {
    return {
      verb,
      resource,
      ...(name !== undefined ? { name } : {}),
      namespace: this.namespace,
      context: this.context,
      server: this.server,
    };
  }

  /** One key of a Secret, decoded (the token, the certificate). */
  async secretValue(name: string, key: string): Promise<string> {
    let data: Record<string, string> | undefined;
    try {
      const secret = await this.core.readNamespacedSecret({ name, namespace: this.namespace });
      data = secret.data;
    } catch (error) {
      throw describeKubeError(error, this.call('get', 'secrets', name));
    }
    const value = data?.[key];
    if (value === undefined) {
      throw new FleetError(
        'config',
        `Secret "${name}" in namespace "${this.namespace}" has no key "${key}" (keys: ${Object.keys(data ?? {}).join(', ') || 'none'}). Fix tokenSecret / tlsSecret in tavern.fleets.`,
      );
    }
    return Buffer.from(value, 'base64').toString('utf8');
  }

  /**
   * List + watch of the pods matching the selector. Not started: the caller adds handlers,
   * then start(); on an error the informer stops and the caller restarts it.
   */
  podInformer(labelSelector: string): Informer<V1Pod> {
    return makeInformer(
      this.kc,
      `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods`,
      // The informer reports list and watch failures alike; tagging the list's own makes the
      // message name the right verb (an untagged error is the watch's).
      () =>
        this.core
          .listNamespacedPod({ namespace: this.namespace, labelSelector })
          .catch((error: unknown) => {
            throw describeKubeError(error, this.call('list', 'pods'));
          }),
      labelSelector,
    );
  }
}
