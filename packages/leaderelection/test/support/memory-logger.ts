import type { Logger } from '@kubekit/leaderelection';

/** A logged line: its level and message (fields are dropped). */
export interface LoggedLine {
  readonly level: string;
  readonly message: string;
}

/** A {@link Logger} keeping every line it is given, in order, in `lines`. */
export function memoryLogger(): Logger & { lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const at =
    (level: string) =>
    (_fields: object, message: string): void => {
      lines.push({ level, message });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
