// Kubernetes failures in words that say what to do: no kubeconfig, an unknown context, RBAC
// (naming the verb and the resource that were refused), credentials, a cluster that cannot
// be reached. Every fleet error the user sees is a FleetError made here.

export type FleetFailure =
  | 'config'
  | 'no-kubeconfig'
  | 'no-context'
  | 'forbidden'
  | 'unauthorized'
  | 'not-found'
  | 'unreachable'
  | 'no-ready-pods'
  | 'other';

export class FleetError extends Error {
  constructor(
    readonly failure: FleetFailure,
    message: string,
  ) {
    super(message);
    this.name = 'FleetError';
  }

  /** Retrying without a change of settings or files cannot help. */
  get needsUser(): boolean {
    return (
      this.failure === 'config' || this.failure === 'no-kubeconfig' || this.failure === 'no-context'
    );
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What was being done when it failed: `verb` on `resource` (as RBAC names them). */
export interface KubeCall {
  verb: 'list' | 'watch' | 'get' | 'create';
  resource: string;
  /** The object's name, when the call was about one (a Secret, a pod). */
  name?: string;
  namespace: string;
  context: string;
  server: string;
}

/** The RBAC rules a fleet needs, for messages and the README. */
export const FLEET_RBAC =
  'pods: list, watch; pods/portforward: create (unless direct); secrets: get (the token and certificate Secrets)';

interface StatusBody {
  message?: string;
  reason?: string;
}

function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (typeof e.code === 'number') return e.code; // client-node's ApiException
  if (typeof e.statusCode === 'number') return e.statusCode; // its Watch
  // A WebSocket upgrade the server refused (port-forward): "Unexpected server response: 403".
  const m = /Unexpected server response: (\d{3})/.exec(String(e.message ?? ''));
  return m ? Number(m[1]) : undefined;
}

function statusBody(error: unknown): StatusBody | undefined {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'object' && body !== null) return body as StatusBody;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function networkCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown; error?: unknown }).cause ?? (e as { error?: unknown }).error;
  }
  return undefined;
}

export function describeKubeError(error: unknown, call: KubeCall): FleetError {
  if (error instanceof FleetError) return error;
  const what = `${call.verb} ${call.resource}${call.name ? ` "${call.name}"` : ''} in namespace "${call.namespace}"`;
  const where = `context "${call.context}" (${call.server})`;
  const status = httpStatus(error);
  const said = statusBody(error)?.message;
  const server = said ? ` The API server says: ${said}` : '';
  if (status === 403) {
    return new FleetError(
      'forbidden',
      `Forbidden by RBAC: ${where} may not ${what}. Ask a cluster admin for a Role in "${call.namespace}" granting ${call.resource}: ${call.verb} (a fleet needs ${FLEET_RBAC}).${server}`,
    );
  }
  if (status === 401) {
    return new FleetError(
      'unauthorized',
      `The cluster refused the credentials of ${where} (HTTP 401) to ${what}. Log in again (the token or certificate expired?), then reload the window.${server}`,
    );
  }
  if (status === 404) {
    return new FleetError(
      'not-found',
      `Not found: ${what} (${where}). Check the fleet's namespace and Secret names in tavern.fleets.${server}`,
    );
  }
  if (status !== undefined) {
    return new FleetError(
      'other',
      `The API server of ${where} answered HTTP ${status} to ${what}.${server}`,
    );
  }
  const code = networkCode(error);
  const text = errorMessage(error);
  if ((code && NETWORK_CODES.has(code)) || /socket hang up|timed? ?out|network/i.test(text)) {
    return new FleetError(
      'unreachable',
      `Cannot reach ${where}${code ? `: ${code}` : `: ${text}`}. Is the cluster up, and the VPN or tunnel to it connected? \`kubectl --context ${call.context} -n ${call.namespace} get pods\` should work from this machine.`,
    );
  }
  if (/certificate|self[- ]signed|TLS|SSL/i.test(text) || code?.startsWith('ERR_TLS')) {
    return new FleetError(
      'unreachable',
      `TLS with ${where} failed: ${text}. Check the cluster's certificate-authority in the kubeconfig.`,
    );
  }
  return new FleetError('other', `Could not ${what} (${where}): ${text}`);
}
