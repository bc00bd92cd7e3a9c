import { ManagerError } from '../manager-error.js';

/** Where a server listens: `host` `undefined` means every interface. */
export interface BindAddress {
  readonly host: string | undefined;
  readonly port: number;
}

/**
 * Parses a bind address as controller-runtime spells it: `:8081` (every interface), `host:port`,
 * `[::1]:8081`, or `0` (an ephemeral port on every interface; `:0` and `host:0` too).
 * @throws ManagerError kind `invalidConfig` naming the option and the value.
 */
export function parseBindAddress(option: string, value: string): BindAddress {
  const fail = (): never => {
    throw new ManagerError(
      'invalidConfig',
      `${option} "${value}" is not an address to listen on: use ":8081", "127.0.0.1:8081", "[::1]:8081" or "0" (an ephemeral port)`,
    );
  };
  if (value === '0') return { host: undefined, port: 0 };
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  if (match === null) return fail();
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port > 65_535) return fail();
  const host = match[1] ?? match[2];
  return { host: host === undefined || host === '' ? undefined : host, port };
}
