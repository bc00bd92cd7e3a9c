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
