// tavern-worker entry point: parse flags, start the runtime and the server, print the attach
// URL, and shut down gracefully on SIGTERM/SIGINT.
import { version as packageVersion } from '../package.json';
import { errorMessage } from '../protocol/errors';
import { parseCli } from './cli';
import { createLogger, redact } from '../runtime/log';
import { createWorkerRuntime } from './workerRuntime';
import { startWorkerServer } from './server';
import { loadTls, selfSignedTls, type TlsMaterial } from './tls';

async function main(): Promise<void> {
  const parsed = parseCli(process.argv.slice(2), process.env, packageVersion);
  if (parsed.kind === 'exit') {
    if (parsed.stdout) process.stdout.write(parsed.stdout);
    if (parsed.stderr) process.stderr.write(parsed.stderr);
    process.exit(parsed.code);
  }
  const config = parsed.config;
  // When whoever started us goes away, stderr becomes a broken pipe. Logging must then go
  // quiet: a failed log write that is itself logged would spin forever.
  let stderrOpen = true;
  process.stderr.on('error', () => (stderrOpen = false));
  process.stdout.on('error', () => undefined);
  const log = createLogger(config.logLevel, (line) => {
    if (stderrOpen) process.stderr.write(redact(line, [config.token]) + '\n');
  });

  // A bug in one agent or connection must not take every other one down with it.
  process.on('uncaughtException', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') {
      stderrOpen = false;
      return;
    }
    log.error(`uncaught: ${error.stack ?? error.message}`);
  });
  process.on('unhandledRejection', (reason) => log.error(`unhandled rejection: ${String(reason)}`));

  const tls: TlsMaterial | undefined =
    config.tls === 'self-signed'
      ? await selfSignedTls(config.stateDir, config.host)
      : config.tls
        ? loadTls(config.tls.cert, config.tls.key)
        : undefined;

  const api = createWorkerRuntime({
    frameCapBytes: config.maxPayloadBytes,
    name: config.name,
    workdir: config.workdir,
    stateDir: config.stateDir,
    maxAgents: config.maxAgents,
    permissionTimeoutMs: config.permissionTimeoutMs,
    version: packageVersion,
    log,
    claudePath: config.claudePath,
    fsyncMs: config.fsyncMs,
    retentionDays: config.retentionDays,
  });
  await api.ready;

  const server = await startWorkerServer({
    host: config.host,
    port: config.port,
    token: config.token,
    tls,
    allowOrigins: config.allowOrigins,
    heartbeatMs: config.heartbeatMs,
    maxPayloadBytes: config.maxPayloadBytes,
    sendBufferBytes: config.sendBufferBytes,
    sendBudgetBytes: config.sendBudgetBytes,
    api,
    log,
  });

  const urlHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  const scheme = tls ? 'wss' : 'ws';
  const fragment = new URLSearchParams({ token: config.token });
  if (tls) fragment.set('fp', `sha256:${tls.fingerprint}`);
  process.stdout.write(
    `TAVERN_WORKER_URL=${scheme}://${urlHost}:${server.port}/#${fragment.toString()}\n`,
  );
  log.info(
    `tavern-worker ${packageVersion} "${config.name}" listening on ${scheme}://${urlHost}:${server.port}/ (workdir ${config.workdir}, state ${config.stateDir}, max ${config.maxAgents} agents)`,
  );

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: interrupting agents, flushing journals`);
    await api.shutdown().catch((error: unknown) => log.error(`shutdown: ${String(error)}`));
    await server.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`tavern-worker: could not start: ${errorMessage(error)}\n`);
  process.exit(1);
});
