import type { Logger } from '@kubekit/leaderelection';
import type { Registry } from 'prom-client';
import { parseBindAddress } from './bind-address.js';
import { HealthChecks } from './health-checks.js';
import { ProbeServer } from './probe-server.js';

/** The ports the servers listen on, once started. */
export interface BoundPorts {
  readonly healthProbe: number | undefined;
  readonly metrics: number | undefined;
}

/** Options of {@link ManagerServers}. */
export interface ManagerServersOptions {
  readonly healthProbeBindAddress: string | undefined;
  readonly metricsBindAddress: string | undefined;
  readonly registry: Registry;
  readonly logger: Logger;
}

/**
 * The manager's two servers: `/healthz` and `/readyz` on `healthProbeBindAddress`, `/metrics` on
 * `metricsBindAddress` (each off when its address is absent), and the checks they run.
 */
export class ManagerServers {
  readonly healthz: HealthChecks;
  readonly readyz: HealthChecks;
  private readonly servers: ProbeServer[] = [];
  private readonly healthServer: ProbeServer | undefined;
  private readonly metricsServer: ProbeServer | undefined;

  /** @throws ManagerError `invalidConfig` for an address that is not one. */
  constructor(options: ManagerServersOptions) {
    const { logger, registry } = options;
    const healthAddress =
      options.healthProbeBindAddress === undefined
        ? undefined
        : parseBindAddress('healthProbeBindAddress', options.healthProbeBindAddress);
    const metricsAddress =
      options.metricsBindAddress === undefined
        ? undefined
        : parseBindAddress('metricsBindAddress', options.metricsBindAddress);
    const onCheckFailure = (endpoint: string) => (name: string, error: unknown) => {
      logger.warn({ check: name, err: error }, `${endpoint} check ${name} failed`);
    };
    this.healthz = new HealthChecks('healthz', onCheckFailure('healthz'));
    this.readyz = new HealthChecks('readyz', onCheckFailure('readyz'));
    const onServerError = (error: unknown): void => {
      logger.error({ err: error }, 'probe or metrics server error');
    };
    if (healthAddress !== undefined) {
      this.healthServer = new ProbeServer(
        'healthProbeBindAddress',
        healthAddress,
        async (_request, response, url) => {
          if (!(await this.healthz.handle(url, response))) await this.readyz.handle(url, response);
        },
        onServerError,
      );
      this.servers.push(this.healthServer);
    }
    if (metricsAddress !== undefined) {
      this.metricsServer = new ProbeServer(
        'metricsBindAddress',
        metricsAddress,
        async (_request, response, url) => {
          if (url.pathname !== '/metrics') return;
          const body = await registry.metrics();
          response.writeHead(200, { 'content-type': registry.contentType }).end(body);
        },
        onServerError,
      );
      this.servers.push(this.metricsServer);
    }
  }

  /** The ports the servers listen on; `undefined` until they listen (or when off). */
  get ports(): BoundPorts {
    return { healthProbe: this.healthServer?.port, metrics: this.metricsServer?.port };
  }

  /** Binds every address. @throws ManagerError `bindFailed` for the first that cannot be bound. */
  async listen(): Promise<void> {
    for (const server of this.servers) await server.listen();
  }

  /** Closes every server and its connections. */
  async close(): Promise<void> {
    for (const server of [...this.servers].reverse()) await server.close();
  }
}
