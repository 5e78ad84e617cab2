// The tavern-worker command line: flags exactly as the wire contract names them.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage } from '../protocol/errors';
import type { LogLevel } from '../runtime/log';

export interface WorkerConfig {
  host: string;
  port: number;
  token: string;
  workdir: string;
  name: string;
  maxAgents: number;
  tls: { cert: string; key: string } | 'self-signed' | undefined;
  stateDir: string;
  insecure: boolean;
  allowOrigins: string[];
  permissionTimeoutMs: number;
  claudePath: string | undefined;
  heartbeatMs: number;
  maxPayloadBytes: number;
  fsyncMs: number;
  retentionDays: number;
  sendBufferBytes: number;
  sendBudgetBytes: number;
  logLevel: LogLevel;
}

export type CliResult =
  | { kind: 'run'; config: WorkerConfig }
  | { kind: 'exit'; code: number; stdout?: string; stderr?: string };

export const HELP = `tavern-worker: runs Tavern agents for a coordinator (the VS Code extension) over an
authenticated WebSocket. Prints one line, TAVERN_WORKER_URL=..., to paste into
"Tavern: Attach Worker". The token travels in the URL fragment and is sent as a bearer header.

Usage: tavern-worker [flags]

  --host HOST              interface to listen on (default 127.0.0.1). A non-loopback host
                           needs TLS (--tls-cert/--tls-key or --tls-self-signed) or --insecure.
  --port N                 port (default 7420; 0 picks a free port)
  --token TOKEN            the shared secret (default: 32 random bytes, printed in the URL).
                           Prefer --token-file or env TAVERN_WORKER_TOKEN: argv is visible to
                           other users of this machine.
  --token-file FILE        read the token from FILE
  --workdir DIR            agents work inside DIR (default: current directory)
  --name NAME              the name coordinators show (default: the hostname)
  --max-agents N           at most N agents at once (default 16)
  --tls-cert FILE          PEM certificate for wss:// (with --tls-key)
  --tls-key FILE           PEM private key
  --tls-self-signed        generate a self-signed certificate (kept in the state dir) and print
                           its sha256 fingerprint in the URL so clients pin it
  --state-dir DIR          journals and agent records (default: <workdir>/.tavern-worker)
  --insecure               allow a non-loopback --host without TLS (the token then crosses the
                           network in clear text: trusted networks only)
  --allow-origin ORIGIN    a browser Origin allowed to connect (repeatable; default: none)
  --permission-timeout S   deny a permission request nobody answered after S seconds (default 600)
  --claude-path FILE       the Claude Code executable for the claude engine
                           (default: env TAVERN_CLAUDE_PATH, then \`claude\` on PATH)
  --heartbeat-ms N         ping coordinators every N ms (default 1000); one that neither
                           answers nor reads for 30 heartbeats is dropped (it replays later)
  --max-payload-mb N       largest accepted frame in MiB (default 16)
  --fsync-ms N             journals are written before any event is sent, and fdatasynced at
                           most every N ms (default 1000): a power cut loses at most about
                           that much; 0 syncs before every send (slower). kill -9 loses
                           nothing a coordinator saw.
  --retention-days N       delete a dismissed agent's journal and record N days after the
                           dismissal (default 14; 0 at the next start)
  --send-buffer-mb N       per coordinator: past N MiB queued and unread, its events wait in
                           the journal and follow as it reads (default 4)
  --send-budget-mb N       all coordinators together: past N MiB queued, the one furthest
                           behind is dropped and replays when it reconnects (default 64)
  --log-level LEVEL        debug | info | warn | error (default info); logs go to stderr
  --help                   this text
  --version                the worker version
`;

function positiveInt(
  name: string,
  value: string | undefined,
  fallback: number,
  allowZero = false,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) {
    throw new UsageError(
      `--${name} must be a${allowZero ? ' non-negative' : ' positive'} whole number, got "${value}".`,
    );
  }
  return n;
}

export class UsageError extends Error {}

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv, version: string): CliResult {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        workdir: { type: 'string' },
        name: { type: 'string' },
        'max-agents': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-self-signed': { type: 'boolean' },
        'state-dir': { type: 'string' },
        insecure: { type: 'boolean' },
        'allow-origin': { type: 'string', multiple: true },
        'permission-timeout': { type: 'string' },
        'claude-path': { type: 'string' },
        'heartbeat-ms': { type: 'string' },
        'max-payload-mb': { type: 'string' },
        'fsync-ms': { type: 'string' },
        'retention-days': { type: 'string' },
        'send-buffer-mb': { type: 'string' },
        'send-budget-mb': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean' },
        version: { type: 'boolean' },
      },
    });
    if (values.help) return { kind: 'exit', code: 0, stdout: HELP };
    if (values.version) return { kind: 'exit', code: 0, stdout: `${version}\n` };

    const host = values.host ?? '127.0.0.1';
    const port = positiveInt('port', values.port, 7420, true);
    if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}.`);
    let token = values.token ?? env.TAVERN_WORKER_TOKEN;
    if (values['token-file']) token = readFileSync(values['token-file'], 'utf8').trim();
    if (token !== undefined && token.length < 16) {
      throw new UsageError(
        'The token must be at least 16 characters; omit it to get 32 random bytes.',
      );
    }
    token ??= randomBytes(32).toString('base64url');

    const certFile = values['tls-cert'];
    const keyFile = values['tls-key'];
    if ((certFile === undefined) !== (keyFile === undefined)) {
      throw new UsageError(
        '--tls-cert and --tls-key go together: give both, or use --tls-self-signed.',
      );
    }
    if (certFile && values['tls-self-signed'])
      throw new UsageError('Choose --tls-cert/--tls-key or --tls-self-signed, not both.');
    const tls =
      certFile && keyFile
        ? { cert: resolve(certFile), key: resolve(keyFile) }
        : values['tls-self-signed']
          ? ('self-signed' as const)
          : undefined;
    if (!isLoopback(host) && !tls && !values.insecure) {
      throw new UsageError(
        `Refusing to listen on ${host} without TLS: the token would cross the network in clear text. Add --tls-self-signed (or --tls-cert/--tls-key), or --insecure on a trusted network.`,
      );
    }
    const logLevel = (values['log-level'] ?? 'info') as LogLevel;
    if (!['debug', 'info', 'warn', 'error'].includes(logLevel))
      throw new UsageError(`--log-level must be debug, info, warn or error, got "${logLevel}".`);

    const workdir = resolve(values.workdir ?? process.cwd());
    const sendBufferMb = positiveInt('send-buffer-mb', values['send-buffer-mb'], 4);
    const sendBudgetMb = positiveInt('send-budget-mb', values['send-budget-mb'], 64);
    if (sendBudgetMb < sendBufferMb)
      throw new UsageError(
        `--send-budget-mb (${sendBudgetMb}) must be at least --send-buffer-mb (${sendBufferMb}).`,
      );
    return {
      kind: 'run',
      config: {
        host,
        port,
        token,
        workdir,
        name: values.name ?? hostname(),
        maxAgents: positiveInt('max-agents', values['max-agents'], 16),
        tls,
        stateDir: resolve(values['state-dir'] ?? join(workdir, '.tavern-worker')),
        insecure: values.insecure ?? false,
        allowOrigins: values['allow-origin'] ?? [],
        permissionTimeoutMs:
          positiveInt('permission-timeout', values['permission-timeout'], 600) * 1000,
        claudePath: values['claude-path'] ?? env.TAVERN_CLAUDE_PATH,
        heartbeatMs: positiveInt('heartbeat-ms', values['heartbeat-ms'], 1000),
        maxPayloadBytes: positiveInt('max-payload-mb', values['max-payload-mb'], 16) * 1024 * 1024,
        fsyncMs: positiveInt('fsync-ms', values['fsync-ms'], 1000, true),
        retentionDays: positiveInt('retention-days', values['retention-days'], 14, true),
        sendBufferBytes: sendBufferMb * 1024 * 1024,
        sendBudgetBytes: sendBudgetMb * 1024 * 1024,
        logLevel,
      },
    };
  } catch (error) {
    const message = errorMessage(error);
    return {
      kind: 'exit',
      code: 2,
      stderr: `tavern-worker: ${message}\nRun tavern-worker --help for the flags.\n`,
    };
  }
}
