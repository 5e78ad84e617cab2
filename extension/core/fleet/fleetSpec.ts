// The `tavern.fleets` setting: which Kubernetes pods are Tavern workers, where their token
// (and certificate) live, and how to reach them. One zod schema is the type and the check;
// a bad entry is reported by index and field and costs only itself.
import { z } from 'zod';

/** A Kubernetes object name (RFC 1123 label), as the API itself requires. */
const dnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'lowercase letters, digits and "-" only');

const secretKeyRef = z.object({ name: dnsLabel.max(253), key: z.string().min(1) });

export const FleetSpecSchema = z
  .object({
    /** Shown in the Workers view and part of each worker's id (`fleet:<name>/<pod>`). */
    name: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[\w.-]+$/, 'letters, digits, ".", "_" and "-" only')
      .optional(),
    kind: z.literal('kubernetes'),
    /** A kubeconfig file; default: $KUBECONFIG, then ~/.kube/config. */
    kubeconfig: z.string().min(1).optional(),
    /** A context of the kubeconfig; default: its current context. */
    context: z.string().min(1).optional(),
    namespace: dnsLabel,
    labelSelector: z.string().min(1),
    /** The Secret key holding the workers' token (the `--token-file` of the pods). */
    tokenSecret: secretKeyRef,
    /**
     * The Secret holding the workers' TLS certificate (type kubernetes.io/tls; key default
     * `tls.crt`): its sha256 is pinned, so the token goes only to that certificate. Without
     * it the pods are reached over plain ws:// (workers run with --insecure).
     */
    tlsSecret: z.object({ name: dnsLabel.max(253), key: z.string().min(1).optional() }).optional(),
    port: z.number().int().min(1).max(65535),
    /**
     * true: connect to each pod's IP (from inside the cluster network, or a VPN into it);
     * "auto": the pod IP when it answers within a second, else port-forward;
     * false (default): through the API server's port-forward, which works from a laptop.
     */
    direct: z.union([z.boolean(), z.literal('auto')]).optional(),
  })
  .strict();

export type FleetSpec = z.infer<typeof FleetSpecSchema> & { name: string };

/** The name a fleet goes by: its own, else its context and namespace. */
export function fleetName(spec: z.infer<typeof FleetSpecSchema>): string {
  return spec.name ?? (spec.context ? `${spec.context}.${spec.namespace}` : spec.namespace);
}

export interface ParsedFleets {
  fleets: FleetSpec[];
  /** One sentence per entry that was left out, saying which field is wrong and how. */
  problems: string[];
}

export function parseFleets(raw: unknown): ParsedFleets {
  const fleets: FleetSpec[] = [];
  const problems: string[] = [];
  if (raw === undefined || raw === null) return { fleets, problems };
  if (!Array.isArray(raw)) {
    return {
      fleets,
      problems: ['tavern.fleets must be an array of fleets, e.g. [{ "kind": "kubernetes", … }].'],
    };
  }
  raw.forEach((entry: unknown, index) => {
    const parsed = FleetSpecSchema.safeParse(entry);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`)
        .join('; ');
      problems.push(`tavern.fleets[${index}] is ignored: ${issues}.`);
      return;
    }
    const name = fleetName(parsed.data);
    if (fleets.some((f) => f.name === name)) {
      problems.push(
        `tavern.fleets[${index}] is ignored: another fleet is already named "${name}"; give one a distinct "name".`,
      );
      return;
    }
    fleets.push({ ...parsed.data, name });
  });
  return { fleets, problems };
}
