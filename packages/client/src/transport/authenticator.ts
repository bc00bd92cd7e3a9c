import type * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../clock.js';
import { KubeClientError } from '../kube-client-error.js';
import { TokenFile, tokenFileOf } from './token-file.js';
import type { TokenRead } from './token-file.js';

/** TLS material of one authentication; a change of any field means new connections. */
export interface TlsMaterial {
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  readonly cert?: string | Buffer | readonly (string | Buffer)[];
  readonly key?: string | Buffer | readonly (string | Buffer)[];
  readonly pfx?: unknown;
  readonly passphrase?: string;
  readonly rejectUnauthorized?: boolean;
  readonly servername?: string;
}

/** What a request needs from the KubeConfig: where to send it and how to authenticate. */
export interface Credentials {
  /** Identifies the cluster and user: `JSON.stringify([cluster name, user name])`. */
  readonly key: string;
  /** E.g. `https://10.0.0.1:6443`. */
  readonly origin: string;
  /** The server URL's path without a trailing slash, prefixed to every request path. */
  readonly basePath: string;
  /** `host:port` of the server, for the metrics. */
  readonly host: string;
  /** Headers of every request (Authorization, Impersonate-User, …). */
  readonly headers: Readonly<Record<string, string>>;
  readonly tls: TlsMaterial;
  /** The cluster's `proxy-url`, if any. */
  readonly proxyUrl: string | undefined;
  /** When it was resolved (clock ms). */
  readonly at: number;
}

const tlsFields = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  return false;
}

/** True when `a` and `b` are the same TLS material (certificates compared by content). */
export function sameTls(a: TlsMaterial, b: TlsMaterial): boolean {
  return tlsFields.every((field) => sameValue(a[field], b[field]));
}

/** Options of {@link Authenticator}. */
export interface AuthenticatorOptions {
  /** How long one authentication serves further requests, in ms. */
  readonly cacheMs: number;
  /** How long one authentication may take (an exec plugin may hang), in ms. */
  readonly timeoutMs: number;
  readonly clock: Clock;
}

/**
 * Authenticates requests through client-node's `KubeConfig.applyToHTTPSOptions` (bearer tokens,
 * token files, exec and auth-provider plugins, client certificates, basic auth, impersonation,
 * in-cluster service accounts). One authentication serves every request for `cacheMs` (it reads
 * files and may run a plugin); requests that ask while one is under way share it; one that takes
 * longer than `timeoutMs` fails with kind `authTimeout` (the plugin is left to finish on its own
 * and its result is dropped); a failure is not kept; {@link invalidate} drops the kept one (on a
 * 401).
 *
 * A token from a file (the in-cluster service account's, a kubeconfig `token-file` recorded by
 * `loadKubeConfig`) is read here rather than taken from client-node, which keeps an in-cluster token
 * for 60 s whatever the server says and reads a kubeconfig's `token-file` only once, at load. As
 * client-go's cached file token source: read again once a minute, and at once after the server
 * refused it (a 401: the file may have been rotated).
 */
export class Authenticator {
  private kept: Credentials | undefined;
  private pending: Promise<Credentials> | undefined;
  private readonly tokenFile: TokenFile;
  /** The token-file read each authentication used, to forget it when the server refuses it. */
  private readonly tokenReads = new WeakMap<Credentials, TokenRead>();

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly options: AuthenticatorOptions,
  ) {
    this.tokenFile = new TokenFile(options.clock);
  }

  /**
   * The credentials for the next request: the kept ones while under `cacheMs` old, else afresh.
   * Rejects with kind `auth` or `authTimeout`, or `aborted` as soon as `signal` aborts.
   */
  async get(signal?: AbortSignal): Promise<Credentials> {
    const kept = this.kept;
    if (kept !== undefined && this.options.clock.now() - kept.at < this.options.cacheMs) return kept;
    const pending = (this.pending ??= this.authenticateWithTimeout());
    if (signal === undefined) return pending;
    return raceAbort(pending, signal);
  }

  /** The kept credentials while under `cacheMs` old (no authentication needed), else undefined. */
  current(): Credentials | undefined {
    const kept = this.kept;
    return kept !== undefined && this.options.clock.now() - kept.at < this.options.cacheMs ? kept : undefined;
  }

  /**
   * Stops keeping `credentials` (the server refused them), and forgets the token-file read they
   * carried: the next request authenticates afresh and reads the token file again.
   */
  invalidate(credentials: Credentials): void {
    const read = this.tokenReads.get(credentials);
    if (read !== undefined) this.tokenFile.reset(read);
    const kept = this.kept;
    if (
      kept === credentials ||
      (read !== undefined && kept !== undefined && this.tokenReads.get(kept) === read)
    ) {
      this.kept = undefined;
    }
  }

  private async authenticateWithTimeout(): Promise<Credentials> {
    // Real time, not the injected clock: the timeout guards real processes and files.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(
          new KubeClientError(
            'authTimeout',
            `authentication did not finish within ${this.options.timeoutMs} ms (a hung exec plugin?)`,
          ),
        );
      }, this.options.timeoutMs);
    });
    const attempt = this.authenticate();
    // After a timeout nobody awaits the attempt: its late failure must not go unhandled.
    attempt.catch(() => undefined);
    try {
      const credentials = await Promise.race([attempt, timeout]);
      this.kept = credentials;
      return credentials;
    } finally {
      clearTimeout(timer);
      this.pending = undefined;
    }
  }

  private async authenticate(): Promise<Credentials> {
    const kubeConfig = this.kubeConfig;
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster === null) {
      throw new KubeClientError(
        'invalidArgument',
        'the kubeconfig has no current cluster (set a current context)',
      );
    }
    const options: https.RequestOptions = {};
    try {
      await kubeConfig.applyToHTTPSOptions(options);
    } catch (error: unknown) {
      throw new KubeClientError(
        'auth',
        `authentication for cluster ${cluster.name} failed: ${String(error)}`,
        {
          cause: error,
        },
      );
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    if (typeof options.auth === 'string') {
      headers['Authorization'] = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    }
    const tokenFile = tokenFileOf(kubeConfig.getCurrentUser());
    const tokenRead = tokenFile === undefined ? undefined : await this.tokenFile.read(tokenFile);
    if (tokenRead !== undefined) headers['Authorization'] = `Bearer ${tokenRead.token}`;
    const tls: Record<string, unknown> = {};
    for (const field of tlsFields) {
      if (options[field] !== undefined) tls[field] = options[field];
    }
    let url: URL;
    try {
      url = new URL(cluster.server);
    } catch (error: unknown) {
      throw new KubeClientError(
        'invalidArgument',
        `cluster ${cluster.name}: invalid server URL ${cluster.server}`,
        {
          cause: error,
        },
      );
    }
    const credentials: Credentials = {
      key: JSON.stringify([cluster.name, kubeConfig.getCurrentUser()?.name ?? '']),
      origin: url.origin,
      basePath: url.pathname.replace(/\/+$/, ''),
      host: url.host,
      headers,
      tls,
      proxyUrl: cluster.proxyUrl === undefined || cluster.proxyUrl === '' ? undefined : cluster.proxyUrl,
      at: this.options.clock.now(),
    };
    if (tokenRead !== undefined) this.tokenReads.set(credentials, tokenRead);
    return credentials;
  }
}

/** `promise`, or a rejection of kind `aborted` as soon as `signal` aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortedError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(abortedError(signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** The error of a call aborted for `reason` (a signal's): kind `timeout` when it is a `TimeoutError`. */
export function abortedError(reason: unknown, what = 'the request'): KubeClientError {
  if (reason instanceof DOMException && reason.name === 'TimeoutError') {
    return new KubeClientError('timeout', `${what} timed out`, { cause: reason });
  }
  if (KubeClientError.is(reason)) return reason;
  return new KubeClientError('aborted', `${what} was aborted`, { cause: reason });
}
