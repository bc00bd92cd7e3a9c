import type { ServerResponse } from 'node:http';
import { ManagerError } from '../manager-error.js';

/** A health or readiness check: returns (or resolves) when healthy, throws (or rejects) saying why not. */
export type HealthCheck = () => void | Promise<void>;

const textHeaders = {
  'content-type': 'text/plain; charset=utf-8',
  'x-content-type-options': 'nosniff',
};

/**
 * One endpoint's named checks (`healthz` or `readyz`) and Kubernetes' plain-text answers: `ok`;
 * with `?verbose` one `[+]name ok` line per check and `<endpoint> check passed`; on failure (always
 * verbose, status 500) `[-]name failed: reason withheld` and `<endpoint> check failed`. The reasons
 * go to the log, not to the client. `?exclude=name` skips a check. `/<endpoint>/<name>` runs one
 * check: `ok`, or 500 `internal server error: <reason>`.
 */
export class HealthChecks {
  private readonly checks = new Map<string, HealthCheck>();

  constructor(
    readonly endpoint: 'healthz' | 'readyz',
    private readonly onFailure: (name: string, error: unknown) => void,
  ) {
    this.checks.set('ping', () => undefined);
  }

  /** @throws ManagerError `invalidConfig` for an empty, malformed or duplicate name. */
  add(name: string, check: HealthCheck): void {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      throw new ManagerError(
        'invalidConfig',
        `${this.endpoint} check "${name}": a name is letters, digits, ".", "_" and "-" (it becomes the path /${this.endpoint}/<name>)`,
      );
    }
    if (this.checks.has(name)) {
      throw new ManagerError(
        'invalidConfig',
        `${this.endpoint} check "${name}" is already registered; pick another name`,
      );
    }
    if (typeof check !== 'function') {
      throw new ManagerError('invalidConfig', `${this.endpoint} check "${name}" is not a function`);
    }
    this.checks.set(name, check);
  }

  /** Answers `/<endpoint>` and `/<endpoint>/<name>`; leaves other paths alone (returns false). */
  async handle(url: URL, response: ServerResponse): Promise<boolean> {
    const prefix = `/${this.endpoint}`;
    if (url.pathname === prefix || url.pathname === `${prefix}/`) {
      await this.all(url, response);
      return true;
    }
    if (!url.pathname.startsWith(`${prefix}/`)) return false;
    // Check names are letters, digits, ".", "_" and "-": nothing to decode.
    const name = url.pathname.slice(prefix.length + 1);
    const check = this.checks.get(name);
    if (check === undefined) return false;
    const failure = await this.run(name, check);
    if (failure === undefined) {
      response.writeHead(200, textHeaders).end('ok');
    } else {
      response.writeHead(500, textHeaders).end(`internal server error: ${failure}\n`);
    }
    return true;
  }

  private async all(url: URL, response: ServerResponse): Promise<void> {
    const excluded = new Set(url.searchParams.getAll('exclude'));
    let lines = '';
    let failed = false;
    for (const [name, check] of this.checks) {
      if (excluded.has(name)) {
        lines += `[+]${name} excluded: ok\n`;
        continue;
      }
      const failure = await this.run(name, check);
      if (failure === undefined) {
        lines += `[+]${name} ok\n`;
      } else {
        failed = true;
        lines += `[-]${name} failed: reason withheld\n`;
      }
    }
    if (failed) {
      response.writeHead(500, textHeaders).end(`${lines}${this.endpoint} check failed\n`);
    } else if (url.searchParams.has('verbose')) {
      response.writeHead(200, textHeaders).end(`${lines}${this.endpoint} check passed\n`);
    } else {
      response.writeHead(200, textHeaders).end('ok');
    }
  }

  /** Runs one check; the reason it failed, or `undefined`. */
  private async run(name: string, check: HealthCheck): Promise<string | undefined> {
    try {
      await check();
      return undefined;
    } catch (error: unknown) {
      this.onFailure(name, error);
      return error instanceof Error ? error.message : String(error);
    }
  }
}
