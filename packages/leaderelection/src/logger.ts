/**
 * The logging the package needs, in pino's method shapes (`logger.warn({ err }, 'message')`), so a
 * pino logger (or a child of one) can be passed as is. The default, {@link quietLogger}, drops
 * everything.
 */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A logger that writes nothing: the default. */
export const quietLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * `logger` with every call guarded: a logger that throws (a closed stream, a bad serializer) is
 * silenced for that line instead of breaking the caller's control flow.
 */
export function safeLogger(logger: Logger): Logger {
  const guard =
    (level: keyof Logger) =>
    (fields: object, message: string): void => {
      try {
        logger[level](fields, message);
      } catch {
        // Logging must never end a term or a loop; there is nowhere left to report it.
      }
    };
  return { debug: guard('debug'), info: guard('info'), warn: guard('warn'), error: guard('error') };
}
