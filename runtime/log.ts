// Worker logging: human-readable lines on stderr (stdout carries only the attach URL line).
// Secrets never reach a log line: callers pass tokens through `redact`.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Logger {
  const at =
    (lvl: LogLevel) =>
    (message: string): void => {
      if (ORDER[lvl] >= ORDER[level])
        write(`${new Date().toISOString()} ${lvl.padEnd(5)} ${message}`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Replaces every occurrence of each secret with a fixed marker. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
  return out;
}
