import type { Logger } from '@kubekit/leaderelection';

/**
 * A `Logger` writing one JSON object per line to stdout (pino's shape: `level`, `time`, `msg`,
 * fields; errors as `{type, message}`). `bound` fields go on every line.
 */
export function jsonLogger(bound: Record<string, unknown> = {}, write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const log =
    (level: string) =>
    (fields: object, msg: string): void => {
      const entries = Object.entries(fields).map(([key, value]) => [key, value instanceof Error ? describe(value) : value]);
      write(`${JSON.stringify({ level, time: Date.now(), ...bound, ...Object.fromEntries(entries), msg })}\n`);
    };
  return { debug: () => undefined, info: log('info'), warn: log('warn'), error: log('error') };
}

function describe(error: Error): object {
  return { type: error.name, message: error.message, ...(error.cause === undefined ? {} : { cause: String(error.cause) }) };
}
