// Why a worker connection could not be made, in words that say what to do next.
export type ConnectFailure =
  | 'unauthorized'
  | 'forbidden'
  | 'rate-limited'
  | 'unreachable'
  | 'timeout'
  | 'fingerprint'
  | 'tls'
  | 'protocol'
  /** A different worker answers at the same URL. */
  | 'identity'
  | 'closed';

export class WorkerConnectError extends Error {
  constructor(
    readonly failure: ConnectFailure,
    message: string,
  ) {
    super(message);
    this.name = 'WorkerConnectError';
  }

  /** Retrying cannot help (wrong token, pinned cert changed, incompatible protocol). */
  get fatal(): boolean {
    return (
      this.failure === 'unauthorized' ||
      this.failure === 'forbidden' ||
      this.failure === 'fingerprint' ||
      this.failure === 'protocol' ||
      this.failure === 'identity'
    );
  }
}

export class FingerprintMismatchError extends WorkerConnectError {
  constructor(
    readonly presented: string,
    readonly pinned: string,
  ) {
    super(
      'fingerprint',
      `The worker presented certificate sha256:${presented} but the URL pins sha256:${pinned}. The token was NOT sent. If the worker regenerated its certificate, copy its new URL; otherwise someone may be intercepting the connection.`,
    );
    this.name = 'FingerprintMismatchError';
  }
}

export function describeNetworkError(
  error: NodeJS.ErrnoException,
  where: string,
): WorkerConnectError {
  switch (error.code) {
    case 'ECONNREFUSED':
      return new WorkerConnectError(
        'unreachable',
        `Cannot reach ${where}: connection refused. Is tavern-worker running there, on that port?`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new WorkerConnectError(
        'unreachable',
        `Cannot reach ${where}: the host name does not resolve. Check the host part of the URL.`,
      );
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new WorkerConnectError(
        'unreachable',
        `Cannot reach ${where}: the network does not answer (${error.code}). Check the host, the port and any firewall.`,
      );
    case 'ECONNRESET':
    case 'EPIPE':
      return new WorkerConnectError(
        'closed',
        `${where} closed the connection during the handshake (${error.code}). Is it a tavern-worker, and does the URL's ws:// or wss:// match its TLS setting?`,
      );
    default:
      if (error.code?.startsWith('ERR_TLS') || /certificate|SSL|TLS/i.test(error.message)) {
        return new WorkerConnectError(
          'tls',
          `TLS with ${where} failed: ${error.message}. For a self-signed worker use the full URL with &fp=sha256:...`,
        );
      }
      return new WorkerConnectError('unreachable', `Cannot reach ${where}: ${error.message}`);
  }
}
