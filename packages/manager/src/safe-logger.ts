import type { Logger } from '@kubekit/leaderelection';

/**
 * `logger` with every call guarded: a logger that throws (a closed stream, a bad serializer) loses
 * that line instead of breaking the manager's control flow (a term left half run, a shutdown that
 * never ends).
 */
export function safeLogger(logger: Logger): Logger {
  const guard =
    (level: keyof Logger) =>
    (fields: object, message: string): void => {
      try {
        logger[level](fields, message);
      } catch {
        // There is nowhere left to report a failure of the logger itself.
      }
    };
  return { debug: guard('debug'), info: guard('info'), warn: guard('warn'), error: guard('error') };
}
