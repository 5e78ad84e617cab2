// Decides, before any WebSocket upgrade, whether a request may become a coordinator
// connection: bearer token (constant time), no tokens in query strings, browser Origins on
// an allow list, and a lockout for addresses that keep failing. The lockout never refuses
// the right token: every local process shares 127.0.0.1, so refusing by address would let
// any of them lock the extension out. Wrong tokens from a locked-out address get 429 (and
// wait for it: see the tarpit in server.ts); the token's entropy is the defence.
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
    const verdict = this.verify(request);
    // The right token passes even from a locked-out address, and does not lift the lockout
    // (a guesser sharing the address would get a fresh allowance each time).
    if (verdict.ok || verdict.status !== 401) return verdict;
    const address = request.socket.remoteAddress ?? 'unknown';
    const now = this.now();
    const lockedUntil = this.recordFailure(address, now);
    if (lockedUntil > now) {
      return {
        ok: false,
        status: 429,
        message:
          'Too many failed attempts from this address: wrong tokens are refused for a while. The right token is still accepted.',
        retryAfterSeconds: Math.ceil((lockedUntil - now) / 1000),
      };
    }
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

  /** Counts a failure; returns until when the address is locked out (0: it is not). */
  private recordFailure(address: string, now: number): number {
    let record = this.failures.get(address);
    if (!record || (record.lockedUntil <= now && now - record.firstAt > this.windowMs)) {
      record = { count: 0, firstAt: now, lockedUntil: 0 };
      this.failures.set(address, record);
    }
    record.count++;
    // Once locked, every further wrong token keeps the lockout going.
    if (record.count > this.maxFailures) record.lockedUntil = now + this.lockoutMs;
    if (this.failures.size > 10_000) this.prune(now);
    return record.lockedUntil;
  }

  private prune(now: number): void {
    for (const [address, record] of this.failures) {
      if (record.lockedUntil < now && now - record.firstAt > this.windowMs)
        this.failures.delete(address);
    }
  }
}
