import { writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import { createSecureServer } from 'node:http2';
import type { Http2SecureServer } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { KubeConfig } from '@kubernetes/client-node';
import { builtinResources, namespaces } from './api/builtin-resources.js';
import { ObjectService } from './api/object-service.js';
import { ResourceRegistry } from './api/resource-registry.js';
import { RbacAuthorizer } from './auth/rbac-authorizer.js';
import { ADMIN_USER, TokenAuthenticator } from './auth/token-authenticator.js';
import type { UserSpec } from './auth/token-authenticator.js';
import { ClusterControlImpl } from './cluster-control-impl.js';
import { CrdController } from './controllers/crd-controller.js';
import { GarbageCollector } from './controllers/garbage-collector.js';
import { PodTerminator } from './controllers/pod-terminator.js';
import type { ConnectionStats, Envtest, EnvtestOptions, EnvtestUser } from './envtest.js';
import { EnvtestError } from './envtest-error.js';
import { FaultTable } from './faults/fault-table.js';
import { RequestCounterTable } from './faults/request-counter-table.js';
import { serveAdmin } from './http/admin-endpoint.js';
import { ApiHandler } from './http/api-handler.js';
import { dropConnection, protocolOf } from './http/exchange.js';
import type { ApiRequest, ApiResponse } from './http/exchange.js';
import { WatchRegistry } from './http/watch-registry.js';
import { kubeconfigDocument, kubeConfigOf } from './kubeconfig/kubeconfig-document.js';
import type { KubeconfigSource } from './kubeconfig/kubeconfig-document.js';
import { ObjectStore } from './storage/object-store.js';
import { generateCertificates } from './tls/generate-certificates.js';

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly insecure: boolean;
  readonly http2: boolean;
  readonly gcDelayMs: number;
  readonly users: readonly (string | EnvtestUser)[];
  readonly podGracePeriodMs: number;
  readonly bookmarkIntervalMs: number;
  readonly futureResourceVersionWaitMs: number;
  readonly watchHistorySize: number;
}

function nonNegative(name: string, value: number | undefined, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new EnvtestError(
      'invalidOptions',
      `envtest: ${name} (${value}) must be a${integer ? 'n integer' : ' number'} >= 0`,
    );
  }
  return value;
}

function checkUser(user: string | EnvtestUser): void {
  const name = typeof user === 'string' ? user : user.name;
  if (typeof name !== 'string' || name === '')
    throw new EnvtestError('invalidOptions', 'envtest: user names must be non-empty strings');
  const account = typeof user === 'string' ? undefined : user.serviceAccount;
  if (account !== undefined && (!account.namespace || !account.name)) {
    throw new EnvtestError(
      'invalidOptions',
      `envtest: user ${name}: serviceAccount needs a namespace and a name`,
    );
  }
}

function userSpec(user: string | EnvtestUser): UserSpec {
  if (typeof user === 'string') return { rbac: false };
  return {
    rbac: true,
    ...(user.groups === undefined ? {} : { groups: user.groups }),
    ...(user.serviceAccount === undefined ? {} : { serviceAccount: user.serviceAccount }),
  };
}

function resolveOptions(options: EnvtestOptions): ResolvedOptions {
  const port = nonNegative('port', options.port, 0, true);
  if (port > 65535) throw new EnvtestError('invalidOptions', `envtest: port (${port}) must be at most 65535`);
  for (const user of options.users ?? []) checkUser(user);
  const bookmarkIntervalMs = nonNegative('bookmarkIntervalMs', options.bookmarkIntervalMs, 60_000);
  const watchHistorySize = nonNegative('watchHistorySize', options.watchHistorySize, 10_000, true);
  if (bookmarkIntervalMs === 0)
    throw new EnvtestError('invalidOptions', 'envtest: bookmarkIntervalMs must be > 0');
  if (watchHistorySize === 0)
    throw new EnvtestError('invalidOptions', 'envtest: watchHistorySize must be > 0');
  return {
    host: options.host ?? '127.0.0.1',
    port,
    insecure: options.insecure ?? false,
    http2: (options.http2 ?? true) && options.insecure !== true,
    gcDelayMs: nonNegative('gcDelayMs', options.gcDelayMs, 0),
    users: options.users ?? [],
    podGracePeriodMs: nonNegative('podGracePeriodMs', options.podGracePeriodMs, 100),
    bookmarkIntervalMs,
    futureResourceVersionWaitMs: nonNegative(
      'futureResourceVersionWaitMs',
      options.futureResourceVersionWaitMs,
      3000,
    ),
    watchHistorySize,
  };
}

/** The embedded API server behind `startEnvtest`. */
export class EnvtestServer implements Envtest {
  readonly #options: ResolvedOptions;
  readonly #authenticator = new TokenAuthenticator();
  readonly #store: ObjectStore;
  readonly #registry = new ResourceRegistry();
  readonly #pods = new PodTerminator();
  readonly #service: ObjectService;
  readonly #gc: GarbageCollector;
  readonly #crds: CrdController;
  readonly #watches = new WatchRegistry();
  readonly #hung = new Set<ApiResponse>();
  readonly #sockets = new Set<Socket>();
  readonly #requests = { h2: 0, 'http/1.1': 0 };
  #accepted = 0;
  #open = 0;
  readonly #stopping = new AbortController();
  readonly faults: FaultTable;
  readonly counters = new RequestCounterTable();
  readonly cluster: ClusterControlImpl;
  #state: State = 'idle';
  #server: Server | Http2SecureServer | undefined;
  #url = '';
  #caCert: string | undefined;
  #kubeConfig: KubeConfig | undefined;
  #stopped: Promise<void> | undefined;
  #starting: Promise<void> | undefined;

  constructor(options: EnvtestOptions = {}) {
    this.#options = resolveOptions(options);
    this.#store = new ObjectStore(this.#options.watchHistorySize);
    for (const type of builtinResources) this.#registry.add(type);
    this.#service = new ObjectService(
      this.#store,
      this.#registry,
      this.#pods,
      this.#options.podGracePeriodMs,
    );
    this.#gc = new GarbageCollector(this.#service, this.#options.gcDelayMs);
    this.#crds = new CrdController(this.#service, (storageId) => this.#watches.endStorage(storageId));
    this.faults = new FaultTable(this.#watches);
    this.cluster = new ClusterControlImpl(this.#service);
    for (const user of this.#options.users) this.addUser(user);
  }

  get url(): string {
    this.#assertRunning();
    return this.#url;
  }

  get kubeConfig(): KubeConfig {
    this.#assertRunning();
    this.#kubeConfig ??= kubeConfigOf(this.#source(), ADMIN_USER);
    return this.#kubeConfig;
  }

  get protocols(): readonly ('h2' | 'http/1.1')[] {
    return this.#options.http2 ? ['h2', 'http/1.1'] : ['http/1.1'];
  }

  connectionStats(): ConnectionStats {
    return {
      accepted: this.#accepted,
      open: this.#open,
      watches: this.#watches.size,
      requests: { ...this.#requests },
    };
  }

  /** The PEM CA certificate clients must trust (undefined in insecure mode). */
  get caCert(): string | undefined {
    return this.#caCert;
  }

  /** The bearer token of a user. */
  tokenFor(user: string): string {
    const token = this.#authenticator.tokenOf(user);
    if (token === undefined)
      throw new EnvtestError(
        'unknownUser',
        `envtest: no user "${user}"; create it with addUser or options.users`,
      );
    return token;
  }

  kubeConfigFor(user: string): KubeConfig {
    this.#assertRunning();
    this.tokenFor(user);
    return kubeConfigOf(this.#source(), user);
  }

  addUser(user: string | EnvtestUser): void {
    checkUser(user);
    this.#authenticator.addUser(typeof user === 'string' ? user : user.name, userSpec(user));
  }

  async writeKubeconfig(path: string): Promise<void> {
    this.#assertRunning();
    await writeFile(path, `${JSON.stringify(kubeconfigDocument(this.#source()), null, 2)}\n`, {
      mode: 0o600,
    });
  }

  #source(): KubeconfigSource {
    const tokens = new Map<string, string>();
    for (const user of this.#authenticator.users()) tokens.set(user, this.#authenticator.tokenOf(user) ?? '');
    return { url: this.#url, caCert: this.#caCert, tokens };
  }

  #assertRunning(): void {
    if (this.#state !== 'running') {
      throw new EnvtestError(
        'notRunning',
        `envtest: the server is ${this.#state}; use it between startEnvtest() and stop()`,
      );
    }
  }

  /** Listens and serves. Call once; a `stop()` during start waits for it, then stops. */
  start(): Promise<void> {
    if (this.#state !== 'idle') {
      return Promise.reject(
        new EnvtestError('alreadyRunning', `envtest: start() called while ${this.#state}`),
      );
    }
    this.#state = 'starting';
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    try {
      for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
        this.#service.create(namespaces, undefined, {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name },
        });
      }
      this.#pods.start(this.#service);
      this.#gc.start();
      this.#crds.start();
      const handler = new ApiHandler({
        service: this.#service,
        authenticator: this.#authenticator,
        authorizer: new RbacAuthorizer(this.#store),
        faults: this.faults,
        counters: this.counters,
        watches: this.#watches,
        insecure: this.#options.insecure,
        bookmarkIntervalMs: this.#options.bookmarkIntervalMs,
        futureResourceVersionWaitMs: this.#options.futureResourceVersionWaitMs,
        signal: this.#stopping.signal,
        hung: this.#hung,
        serverAddress: () => new URL(this.#url).host,
        admin: (path, request, response) =>
          serveAdmin(
            {
              faults: this.faults,
              counters: this.counters,
              cluster: this.cluster,
              addUser: (user) => this.#authenticator.addUser(user),
              connectionStats: () => this.connectionStats(),
            },
            path,
            request,
            response,
          ),
      });
      const listener = (request: ApiRequest, response: ApiResponse): void => {
        this.#requests[protocolOf(request)] += 1;
        void handler.handle(request, response);
      };
      const server = await this.#listenerServer(listener);
      // Every TCP connection, also those still in their TLS handshake, which the HTTP server
      // does not track and closeAllConnections() therefore misses.
      server.on('connection', (socket: Socket) => {
        this.#sockets.add(socket);
        socket.once('close', () => this.#sockets.delete(socket));
      });
      const count = (socket: Socket | TLSSocket): void => {
        this.#accepted += 1;
        this.#open += 1;
        socket.once('close', () => (this.#open -= 1));
      };
      server.on(this.#options.insecure ? 'connection' : 'secureConnection', count);
      this.#server = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.#options.port, this.#options.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      // Bound to every interface: clients reach it on loopback, which the certificate names.
      const reachable =
        address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
      const host = reachable.includes(':') ? `[${reachable}]` : reachable;
      this.#url = `${this.#options.insecure ? 'http' : 'https'}://${host}:${address.port}`;
      this.#state = 'running';
    } catch (error) {
      await this.#teardown();
      throw new EnvtestError(
        'startFailed',
        `envtest: could not start: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  /**
   * The server for `listener`: plain HTTP/1.1 when insecure; else HTTPS with a CA generated now,
   * offering `h2` and `http/1.1` by ALPN (HTTP/1.1 only without `http2`).
   */
  async #listenerServer(
    listener: (request: ApiRequest, response: ApiResponse) => void,
  ): Promise<Server | Http2SecureServer> {
    if (this.#options.insecure) {
      const server = createHttpServer(listener);
      server.keepAliveTimeout = 30_000;
      return server;
    }
    const extraHosts = ['127.0.0.1', 'localhost', '::1', '0.0.0.0', '::'].includes(this.#options.host)
      ? []
      : [this.#options.host];
    const certificates = await generateCertificates(extraHosts);
    this.#caCert = certificates.caCert;
    const tls = { key: certificates.serverKey, cert: certificates.serverCert };
    if (!this.#options.http2) {
      const server = createHttpsServer(tls, listener);
      server.keepAliveTimeout = 30_000;
      return server;
    }
    // kube-apiserver allows 1000 concurrent streams per connection (--http2-max-streams-per-connection).
    const server = createSecureServer(
      { ...tls, allowHTTP1: true, settings: { maxConcurrentStreams: 1000 } },
      listener,
    );
    // The HTTP/1.1 connections of an HTTP/2 server keep the keep-alive timeout of node:http.
    (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = 30_000;
    // node:http turns Nagle's algorithm off on its sockets; the TLS server under HTTP/2 does not.
    server.on('secureConnection', (socket: TLSSocket) => {
      socket.setNoDelay(true);
    });
    return server;
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    await this.#teardown();
  }

  async #teardown(): Promise<void> {
    this.#state = 'stopping';
    this.#stopping.abort();
    this.faults.clear();
    this.#gc.stop();
    this.#pods.stop();
    this.#crds.stop();
    this.#watches.closeAll();
    for (const response of this.#hung) dropConnection(response);
    this.#hung.clear();
    const server = this.#server;
    if (server?.listening) {
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      if ('closeAllConnections' in server) server.closeAllConnections();
      for (const socket of this.#sockets) socket.destroy();
      await closed;
    }
    this.#state = 'stopped';
  }
}
