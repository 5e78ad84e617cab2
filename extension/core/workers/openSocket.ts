// Opens the authenticated WebSocket to a worker. With a pinned fingerprint the certificate is
// checked BEFORE the upgrade request (which carries the token) is written: a TLS pre-flight
// reads the presented certificate, then the real connection trusts exactly that certificate.
import { createHash, X509Certificate } from 'node:crypto';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import WebSocket from 'ws';
import type { AttachUrl } from './attachUrl';
import {
  describeNetworkError,
  FingerprintMismatchError,
  WorkerConnectError,
} from './connectErrors';

export interface OpenSocketOptions {
  timeoutMs: number;
  /** Extra ws client options (tests raise maxPayload, for example). */
  maxPayload?: number;
}

function derFingerprint(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

function toPem(raw: Buffer): string {
  return new X509Certificate(raw).toString();
}

/** Reads the certificate the server presents, without trusting or sending anything. */
function fetchPeerCertificate(attach: AttachUrl, timeoutMs: number): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: attach.host,
      port: attach.port,
      rejectUnauthorized: false,
      ...(/^[\d.:]+$/.test(attach.host) ? {} : { servername: attach.host }),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new WorkerConnectError(
          'timeout',
          `No TLS handshake from ${attach.host}:${attach.port} within ${timeoutMs} ms. Is the worker running with TLS?`,
        ),
      );
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = socket.getPeerCertificate(true);
      socket.end();
      resolve(cert);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(describeNetworkError(error, `${attach.host}:${attach.port}`));
    });
  });
}

export async function openWorkerSocket(
  attach: AttachUrl,
  options: OpenSocketOptions,
): Promise<WebSocket> {
  const where = `${attach.host}:${attach.port}`;
  const wsOptions: WebSocket.ClientOptions = {
    headers: { Authorization: `Bearer ${attach.token}` },
    perMessageDeflate: false,
    handshakeTimeout: options.timeoutMs,
    ...(options.maxPayload ? { maxPayload: options.maxPayload } : {}),
  };
  if (attach.fingerprint) {
    const pinned = attach.fingerprint;
    const cert = await fetchPeerCertificate(attach, options.timeoutMs);
    const presented = derFingerprint(cert.raw);
    if (presented !== pinned) throw new FingerprintMismatchError(presented, pinned);
    wsOptions.ca = toPem(cert.raw);
    // The pinned certificate is the only trust anchor; host names do not matter, the
    // fingerprint does (checked again here in case the server swapped certificates).
    // @types/ws declares the wrong signature; ws hands this option to tls.connect, whose
    // contract is (host, cert) => Error | undefined.
    const checkServerIdentity = (_host: string, peer: PeerCertificate): Error | undefined => {
      const again = derFingerprint(peer.raw);
      return again === pinned ? undefined : new FingerprintMismatchError(again, pinned);
    };
    Object.assign(wsOptions, { checkServerIdentity });
  }

  const socket = new WebSocket(attach.baseUrl, wsOptions);
  return new Promise<WebSocket>((resolve, reject) => {
    const fail = (error: Error): void => {
      cleanup();
      // terminate() on a socket that never opened emits one more error: absorb it.
      socket.on('error', () => undefined);
      socket.terminate();
      reject(error);
    };
    const onOpen = (): void => {
      cleanup();
      resolve(socket);
    };
    const onError = (error: NodeJS.ErrnoException): void => {
      if (error instanceof WorkerConnectError) return fail(error);
      if (/timed out/i.test(error.message)) {
        return fail(
          new WorkerConnectError(
            'timeout',
            `${where} did not complete the WebSocket handshake within ${options.timeoutMs} ms.`,
          ),
        );
      }
      fail(describeNetworkError(error, where));
    };
    const onUnexpected = (
      _request: unknown,
      response: import('node:http').IncomingMessage,
    ): void => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk.slice(0, 2000)));
      response.on('end', () =>
        fail(
          statusError(
            response.statusCode ?? 0,
            body.trim(),
            where,
            response.headers['retry-after'],
          ),
        ),
      );
      response.on('error', () => fail(statusError(response.statusCode ?? 0, '', where, undefined)));
    };
    const cleanup = (): void => {
      socket.off('open', onOpen);
      socket.off('error', onError);
      socket.off('unexpected-response', onUnexpected);
    };
    socket.on('open', onOpen);
    socket.on('error', onError);
    socket.on('unexpected-response', onUnexpected);
  });
}

function statusError(
  status: number,
  body: string,
  where: string,
  retryAfter: string | string[] | undefined,
): WorkerConnectError {
  const detail = body ? ` The worker says: ${body}` : '';
  switch (status) {
    case 401:
      return new WorkerConnectError(
        'unauthorized',
        `The worker at ${where} refused the token (HTTP 401). Copy the URL the worker printed again.${detail}`,
      );
    case 403:
      return new WorkerConnectError(
        'forbidden',
        `The worker at ${where} refused this client (HTTP 403).${detail}`,
      );
    case 429:
      return new WorkerConnectError(
        'rate-limited',
        `The worker at ${where} is refusing this address after repeated failures (HTTP 429); retry in ${String(retryAfter ?? 'a minute')} s with the right URL.`,
      );
    default:
      return new WorkerConnectError(
        'protocol',
        `${where} answered HTTP ${status} instead of a WebSocket upgrade. Is it a tavern-worker?${detail}`,
      );
  }
}
