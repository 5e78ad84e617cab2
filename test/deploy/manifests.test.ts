// deploy/kubernetes rendered with `kubectl kustomize` (the base, and the example overlay after
// deploy/make-secrets.sh) and every object validated offline against the Kubernetes OpenAPI
// schemas (kubernetes-models); then what the fleet relies on: stable names and a volume per
// pod, probes on /healthz, non-root and a read-only root, ingress only to the worker port,
// the Role a user needs, and container args that are the image's CMD.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFleets } from '../../extension/core/fleet/fleetSpec';
import { readDockerfile } from './dockerfile';

const REPO = resolve(__dirname, '../..');
const KUBE = join(REPO, 'deploy/kubernetes');

interface Validatable {
  validate(): void;
}
const MODELS: Record<string, new (data: never) => Validatable> = {
  'apps/v1/StatefulSet': StatefulSet,
  'apps/v1/Deployment': Deployment,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
} & Record<string, unknown>;

/** Why kustomize cannot be used here, or undefined when it can. */
function kustomizeMissing(): string | undefined {
  try {
    const out = execFileSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
    const v = /Kustomize Version: v(\d+)/.exec(out);
    if (!v || Number(v[1]) < 4)
      return `kubectl's kustomize is too old (${v ? `v${v[1]}` : 'none'}); install kubectl 1.21 or newer`;
    return undefined;
  } catch {
    return 'kubectl is not installed (.ci/run installs it where a package allows)';
  }
}
const missing = kustomizeMissing();
if (missing) console.warn(`SKIPPED the kustomize render of deploy/kubernetes: ${missing}`);

function render(dir: string): Obj[] {
  const yaml = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  const objects = loadAllYaml(yaml) as Obj[];
  // kustomize folds long base64 Secret values into lines; the API server's decoder skips
  // the newlines, the schema's "byte" format does not: unfold them as the server reads them.
  for (const o of objects) {
    const data = o.kind === 'Secret' ? (o.data as Record<string, string> | undefined) : undefined;
    for (const key of Object.keys(data ?? {})) data![key] = data![key]!.replace(/\s+/g, '');
  }
  return objects;
}

function validateAll(objects: Obj[]): void {
  for (const o of objects) {
    const Model = MODELS[`${o.apiVersion}/${o.kind}`];
    if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
    new Model(o as never).validate(); // throws with the failing path
  }
}

const find = (objects: Obj[], kind: string): Obj => {
  const found = objects.find((o) => o.kind === kind);
  if (!found) throw new Error(`no ${kind} rendered`);
  return found;
};

// Loose views of the objects we look into (validated above).
type Container = {
  args: string[];
  ports: { name: string; containerPort: number }[];
  readinessProbe: { httpGet: { path: string; port: string; scheme: string } };
  livenessProbe: { httpGet: { path: string; port: string; scheme: string } };
  securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean };
  volumeMounts: { name: string; mountPath: string }[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  image: string;
};
type StatefulSetSpec = {
  replicas: number;
  serviceName: string;
  volumeClaimTemplates: { metadata: { name: string } }[];
  template: {
    spec: {
      securityContext: { runAsNonRoot: boolean; runAsUser: number; fsGroup: number };
      containers: Container[];
    };
  };
};

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

describe.skipIf(missing !== undefined)('deploy/kubernetes', () => {
  it('the base renders, validates, and is what the fleet relies on', () => {
    const objects = render(join(KUBE, 'base'));
    validateAll(objects);
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Role',
      'Secret',
      'Secret',
      'Service',
      'StatefulSet',
    ]);
    const sts = find(objects, 'StatefulSet').spec as StatefulSetSpec;
    const service = find(objects, 'Service');
    expect((service.spec as { clusterIP: string }).clusterIP).toBe('None');
    expect(sts.serviceName).toBe(service.metadata.name);
    expect(sts.volumeClaimTemplates.map((v) => v.metadata.name)).toEqual(['data']);
    const pod = sts.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      fsGroup: 10001,
    });
    const [worker] = pod.containers;
    expect(worker!.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    for (const probe of [worker!.readinessProbe, worker!.livenessProbe])
      expect(probe.httpGet).toEqual({ path: '/healthz', port: 'worker', scheme: 'HTTPS' });
    expect(worker!.ports).toEqual([{ name: 'worker', containerPort: 7420, protocol: 'TCP' }]);
    expect(worker!.resources.requests).toBeDefined();
    expect(worker!.resources.limits).toBeDefined();
    expect(worker!.volumeMounts.map((m) => m.mountPath).sort()).toEqual([
      '/data',
      '/etc/tavern/tls',
      '/etc/tavern/token',
      '/tmp',
    ]);
    // The container runs the image's CMD (plus its capacity), so the image check covers it.
    const image = readDockerfile(join(REPO, 'deploy/container/Dockerfile'), {});
    expect(worker!.args).toEqual([...image.cmd, '--max-agents', '16']);

    const policy = find(objects, 'NetworkPolicy').spec as {
      policyTypes: string[];
      ingress: { ports: { port: number }[]; from?: unknown }[];
    };
    expect(policy.policyTypes).toEqual(['Ingress']);
    expect(policy.ingress.flatMap((r) => r.ports.map((p) => p.port))).toEqual([7420]);
    expect(
      (find(objects, 'PodDisruptionBudget').spec as { maxUnavailable: number }).maxUnavailable,
    ).toBe(1);

    // The Role grants exactly what a fleet uses.
    const rules = (
      find(objects, 'Role') as unknown as { rules: { resources: string[]; verbs: string[] }[] }
    ).rules;
    const can = (resource: string, verb: string): boolean =>
      rules.some((r) => r.resources.includes(resource) && r.verbs.includes(verb));
    for (const [resource, verb] of [
      ['pods', 'list'],
      ['pods', 'watch'],
      ['pods/portforward', 'create'],
      ['secrets', 'get'],
    ] as const)
      expect(can(resource, verb), `${verb} ${resource}`).toBe(true);
    expect(can('secrets', 'list')).toBe(false);
  });

  it('the example overlay renders with its generated Secrets and validates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tavern-kustomize-'));
    temps.push(dir);
    cpSync(KUBE, join(dir, 'kubernetes'), { recursive: true });
    cpSync(join(REPO, 'deploy/make-secrets.sh'), join(dir, 'make-secrets.sh'));
    const overlay = join(dir, 'kubernetes/overlays/example');
    execFileSync(join(dir, 'make-secrets.sh'), [join(overlay, 'secrets')], {
      env: { ...process.env, ANTHROPIC_API_KEY: 'sk-ant-overlay-test' },
      stdio: 'ignore',
    });
    const objects = render(overlay);
    validateAll(objects);
    for (const o of objects.filter((x) => x.kind !== 'Namespace'))
      expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe('tavern');
    const sts = find(objects, 'StatefulSet').spec as StatefulSetSpec;
    expect(sts.replicas).toBe(4);
    expect(sts.template.spec.containers[0]!.image).toBe('registry.example.com/tavern-worker:0.1.0');
    // The placeholders are gone: the Secrets hold the generated token, key and certificate.
    const secrets = objects.filter((o) => o.kind === 'Secret') as unknown as {
      metadata: { name: string };
      type?: string;
      data: Record<string, string>;
    }[];
    const decoded = (name: string, key: string): string =>
      Buffer.from(secrets.find((s) => s.metadata.name === name)!.data[key]!, 'base64').toString();
    expect(decoded('tavern-worker', 'token')).toBe(
      readFileSync(join(overlay, 'secrets/token'), 'utf8'),
    );
    expect(decoded('tavern-worker', 'token').length).toBeGreaterThanOrEqual(32);
    expect(decoded('tavern-worker', 'ANTHROPIC_API_KEY')).toBe('sk-ant-overlay-test');
    expect(decoded('tavern-worker-tls', 'tls.crt')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(secrets.find((s) => s.metadata.name === 'tavern-worker-tls')!.type).toBe(
      'kubernetes.io/tls',
    );
    // The example setting fits these objects.
    const setting = JSON.parse(readFileSync(join(overlay, 'tavern-fleets.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const { fleets, problems } = parseFleets(setting['tavern.fleets']);
    expect(problems).toEqual([]);
    const [fleet] = fleets;
    const labels = (
      find(objects, 'StatefulSet') as unknown as {
        spec: { template: { metadata: { labels: Record<string, string> } } };
      }
    ).spec.template.metadata.labels;
    const [key, value] = fleet!.labelSelector.split('=');
    expect(labels[key!]).toBe(value);
    expect(fleet!.namespace).toBe('tavern');
    expect(secrets.map((s) => s.metadata.name)).toContain(fleet!.tokenSecret.name);
    expect(decoded(fleet!.tokenSecret.name, fleet!.tokenSecret.key)).toBeTruthy();
  });

  it('the schema check is not a no-op: a broken object fails', () => {
    const [sts] = render(join(KUBE, 'base')).filter((o) => o.kind === 'StatefulSet');
    const broken = structuredClone(sts!) as Obj & { spec: { replicas: unknown } };
    broken.spec.replicas = 'three';
    expect(() => validateAll([broken])).toThrow(/replicas must be integer/);
  });
});
