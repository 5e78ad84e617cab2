// Decides, before any WebSocket upgrade, whether a request may become a coordinator
// connection: bearer token (constant time), no tokens in query strings, browser Origins on
// an allow list, and a lockout for addresses that keep failing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface GuardVerdict {
  ok: boolean;
  status?: 401 | 403 | 429;
  /** A short body telling the client what to do (never echoes the token). */
  message?: string;
  retryAfterSeconds?: number;
}

export interface UpgradeGuardOptions {
  token: string;
  allowOrigins: readonly string[];
  /** Failures from one address within `windowMs` before it is locked out. */
  maxFailures?: number;
  windowMs?: number;
  lockoutMs?: number;
  now?: () => number;
}

interface FailureRecord {
  count: number;
  firstAt: number;
  lockedUntil: number;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export class UpgradeGuard {
  private readonly tokenDigest: Buffer;
  private readonly failures = new Map<string, FailureRecord>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly lockoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: UpgradeGuardOptions) {
    this.tokenDigest = digest(options.token);
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.lockoutMs = options.lockoutMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  check(request: IncomingMessage): GuardVerdict {
    const address = request.socket.remoteAddress ?? 'unknown';
    const record = this.failures.get(address);
    const now = this.now();
    if (record && record.lockedUntil > now) {
      return {
        ok: false,
        status: 429,
        message: 'Too many failed attempts from this address; wait and retry with the right token.',
        retryAfterSeconds: Math.ceil((record.lockedUntil - now) / 1000),
      };
    }
    const verdict = this.verify(request);
    if (verdict.ok) this.failures.delete(address);
    else if (verdict.status === 401) this.recordFailure(address, now);
    return verdict;
  }

  private verify(request: IncomingMessage): GuardVerdict {
    const origin = request.headers.origin;
    // Browsers always send Origin on WebSocket upgrades; other clients (the extension host,
    // tests, CLIs) do not. A page on some website must never reach a local worker.
    if (origin !== undefined && !this.options.allowOrigins.includes(origin)) {
      return {
        ok: false,
        status: 403,
        message: `Origin ${origin} is not allowed. Start the worker with --allow-origin ${origin} if this is intended.`,
      };
    }
    const query = new URL(request.url ?? '/', 'http://worker').searchParams;
    if (query.has('token') || query.has('access_token')) {
      return {
        ok: false,
        status: 401,
        message:
          'Tokens in the query string are refused (proxies log URLs). Send it as "Authorization: Bearer TOKEN"; the Tavern extension does this from the #token= fragment.',
      };
    }
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    if (!match?.[1]) {
      return {
        ok: false,
        status: 401,
        message:
          'Missing "Authorization: Bearer TOKEN". Attach with the full URL the worker printed (TAVERN_WORKER_URL=...#token=...).',
      };
    }
    // Compare fixed-length digests so neither content nor length leaks through timing.
    if (!timingSafeEqual(digest(match[1]), this.tokenDigest)) {
      return {
        ok: false,
        status: 401,
        message: 'Wrong token. Copy the TAVERN_WORKER_URL line the worker printed again.',
      };
    }
    return { ok: true };
  }

  private recordFailure(address: string, now: number): void {
    let record = this.failures.get(address);
    if (!record || now - record.firstAt > this.windowMs) {
      record = { count: 0, firstAt: now, lockedUntil: 0 };
      this.failures.set(address, record);
    }
    record.count++;
    if (record.count >= this.maxFailures) record.lockedUntil = now + this.lockoutMs;
    if (this.failures.size > 10_000) this.prune(now);
  }

  private prune(now: number): void {
    for (const [address, record] of this.failures) {
      if (record.lockedUntil < now && now - record.firstAt > this.windowMs)
        this.failures.delete(address);
    }
  }
}
