import type { Logger } from '@kubekit/leaderelection';

/**
 * A `Logger` writing one JSON object per line to stdout (pino's shape: `level`, `time`, `msg`,
 * fields; errors as `{type, message, cause}`). `bound` fields go on every line.
 */
export function jsonLogger(
  bound: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const log =
    (level: string) =>
    (fields: object, msg: string): void => {
      const line: Record<string, unknown> = { level, time: Date.now(), ...bound };
      for (const [key, value] of Object.entries(fields) as [string, unknown][]) {
        line[key] = value instanceof Error ? describe(value) : value;
      }
      line['msg'] = msg;
      write(`${JSON.stringify(line)}\n`);
    };
  return { debug: () => undefined, info: log('info'), warn: log('warn'), error: log('error') };
}

function describe(error: Error): object {
  return {
    type: error.name,
    message: error.message,
    ...(error.cause instanceof Error ? { cause: describe(error.cause) } : {}),
  };
}
