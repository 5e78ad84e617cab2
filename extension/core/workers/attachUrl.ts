// Parses the attach URL a worker prints: ws(s)://HOST:PORT/#token=TOKEN[&fp=sha256:HEX].
// The token lives in the fragment, which no client sends over the wire; we send it as a
// bearer header instead, and keep the URL without it.

export interface AttachUrl {
  /** ws(s)://host:port/path without the fragment: safe to show and to store in settings. */
  readonly baseUrl: string;
  readonly token: string;
  /** Lowercase hex sha256 of the worker's certificate DER, when the URL pins one. */
  readonly fingerprint: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
}

export class AttachUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttachUrlError';
  }
}

const EXAMPLE =
  'ws://HOST:PORT/#token=TOKEN (copy the TAVERN_WORKER_URL=... line tavern-worker printed)';

export function parseAttachUrl(text: string): AttachUrl {
  const trimmed = text.trim().replace(/^TAVERN_WORKER_URL=/, '');
  if (!trimmed) throw new AttachUrlError(`Paste the worker's attach URL: ${EXAMPLE}.`);
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new AttachUrlError(`"${redactToken(trimmed)}" is not a URL. Expected ${EXAMPLE}.`);
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    throw new AttachUrlError(
      `The attach URL starts with ${url.protocol}// but workers speak WebSocket: use ${url.protocol === 'https:' ? 'wss' : 'ws'}://.`,
    );
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new AttachUrlError(
      `Unsupported scheme ${url.protocol} in the attach URL. Expected ${EXAMPLE}.`,
    );
  }
  if (url.searchParams.has('token')) {
    throw new AttachUrlError(
      'The token is in the query string, where proxies and logs would record it. Put it after #token= instead, as the worker prints it.',
    );
  }
  if (url.username || url.password) {
    throw new AttachUrlError(
      'Credentials before the host are not used. Put the token after #token=, as the worker prints it.',
    );
  }
  const fragment = new URLSearchParams(url.hash.replace(/^#/, ''));
  const token = fragment.get('token');
  if (!token) {
    throw new AttachUrlError(
      `The attach URL has no #token=... part. Copy the whole line the worker printed: ${EXAMPLE}.`,
    );
  }
  let fingerprint: string | undefined;
  const fp = fragment.get('fp');
  if (fp !== null) {
    const match = /^sha256:([0-9a-fA-F:]{64,95})$/.exec(fp);
    const hex = match?.[1]?.replace(/:/g, '').toLowerCase();
    if (!hex || hex.length !== 64) {
      throw new AttachUrlError(
        `The certificate fingerprint "fp=${fp}" is malformed: expected sha256: followed by 64 hex digits.`,
      );
    }
    if (url.protocol !== 'wss:')
      throw new AttachUrlError('A certificate fingerprint (fp=) only makes sense with wss://.');
    fingerprint = hex;
  }
  url.hash = '';
  const secure = url.protocol === 'wss:';
  return {
    baseUrl: url.toString(),
    token,
    fingerprint,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 443 : 80,
    secure,
  };
}

/** Rebuilds the full attach URL (with the secret) from its parts, e.g. from settings + secret storage. */
export function formatAttachUrl(baseUrl: string, token: string, fingerprint?: string): string {
  const fragment = new URLSearchParams({ token });
  if (fingerprint) fragment.set('fp', `sha256:${fingerprint}`);
  return `${baseUrl.replace(/#.*$/, '')}#${fragment.toString()}`;
}

/** For messages: never show a token. */
export function redactToken(text: string): string {
  return text.replace(/token=[^&\s]+/g, 'token=…');
}
