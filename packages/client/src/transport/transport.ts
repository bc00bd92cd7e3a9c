import type { IncomingHttpHeaders } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';
import { apiError, parseRetryAfter } from '../api-errors.js';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { KubeClientError } from '../kube-client-error.js';
import { abortedError, Authenticator } from './authenticator.js';
import type { Credentials } from './authenticator.js';
import { collectResponse } from './collect-response.js';
import type { CollectedResponse } from './collect-response.js';
import { Deadline } from './deadline.js';
import { Dispatchers, proxyEnvironment } from './dispatchers.js';
import { guardHttp2Aborts } from './http2-abort-guard.js';
import { RequestMetrics } from './request-metrics.js';
import { defaultRateLimit, TokenBucket } from './token-bucket.js';
import type {
  HttpMethod,
  TransportOptions,
  TransportRequest,
  TransportResponse,
  TransportStream,
} from './transport-types.js';

export type { HttpMethod, TransportOptions, TransportRequest, TransportResponse, TransportStream };

const unsentCodes = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT']);
/** Connection errors after which an idempotent request is sent again (once). */
const brokenCodes = new Set([
  'UND_ERR_SOCKET',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_CLOSED',
  'ERR_HTTP2_STREAM_ERROR',
]);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** What the retry loop needs of an answer. */
interface Answer {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
}

/** The final answer of an exchange, and whether an earlier attempt of it may have been applied. */
interface Exchanged<R extends Answer> {
  readonly answer: R;
  /** An earlier attempt may have been applied, and the request was sent again. */
  readonly resent: boolean;
}

/** An answer whose body is a stream (a watch). */
interface StreamedAnswer extends Answer {
  readonly data: Dispatcher.ResponseData;
}

/** Drops an answer that will be sent again: a stream is read to its end, collected bytes need nothing. */
async function discard(answer: Answer): Promise<void> {
  if ('data' in answer) await (answer as StreamedAnswer).data.body.dump();
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The one HTTP stack of kubekit: undici dispatchers per cluster and user ({@link Dispatchers}),
 * authentication through client-node's KubeConfig ({@link Authenticator}), a token-bucket rate
 * limit, retries (a 401 once with fresh credentials; a 429 up to `maxRetries` times after its
 * `Retry-After`; a broken connection once for idempotent requests), deadlines and client-go's
 * request metrics. Higher layers (the object client, watches, client-node's generated APIs)
 * send everything through one Transport.
 */
export class Transport {
  /** The KubeConfig this transport connects and authenticates with. */
  readonly kubeConfig: KubeConfig;
  readonly clock: Clock;
  private readonly auth: Authenticator;
  private readonly dispatchers: Dispatchers;
  private readonly bucket: TokenBucket | undefined;
  private readonly metrics: RequestMetrics | undefined;
  /** The deadline of each request in ms (`requestTimeoutMs`), unless a call sets its own; 0 for none. */
  readonly requestTimeoutMs: number;
  private readonly maxRetries: number;
  private readonly defaultRetryAfterMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly userAgent: string;
  /** Headers of requests with default `accept`, content type and no extra headers, per credentials: built once. */
  private readonly defaultHeaders = new WeakMap<
    Credentials,
    { readonly plain: Readonly<Record<string, string>>; readonly json: Readonly<Record<string, string>> }
  >();

  constructor(options: TransportOptions) {
    const clock = options.clock ?? systemClock;
    this.clock = clock;
    this.kubeConfig = options.kubeConfig;
    this.auth = new Authenticator(options.kubeConfig, {
      cacheMs: options.authCacheMs ?? 1000,
      timeoutMs: options.authTimeoutMs ?? 10_000,
      clock,
    });
    const allowH2 = options.allowH2 ?? true;
    // An aborted HTTP/2 request must not leave its stream behind in nghttp2 (see guardHttp2Aborts).
    if (allowH2) guardHttp2Aborts();
    this.dispatchers = new Dispatchers({
      allowH2,
      proxy: proxyEnvironment(options.env ?? process.env),
      keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 30_000,
      connections: options.connections,
    });
    if (
      options.connections !== undefined &&
      !(Number.isInteger(options.connections) && options.connections >= 1)
    ) {
      throw new KubeClientError(
        'invalidArgument',
        `connections (${String(options.connections)}) must be an integer ≥ 1, or left out for no limit`,
      );
    }
    const rateLimit = options.rateLimit ?? defaultRateLimit;
    if (rateLimit !== false && (!(rateLimit.qps > 0) || !(rateLimit.burst >= 1))) {
      throw new KubeClientError(
        'invalidArgument',
        `rateLimit: qps (${rateLimit.qps}) must be > 0 and burst (${rateLimit.burst}) ≥ 1, or pass false`,
      );
    }
    this.bucket = rateLimit === false ? undefined : new TokenBucket(rateLimit, clock);
    this.metrics = RequestMetrics.in(options.metrics);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.maxRetries = options.maxRetries ?? 5;
    this.defaultRetryAfterMs = options.defaultRetryAfterMs ?? 1000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'kubekit-client';
  }

  /**
   * Sends `request` and resolves with its answer, whatever its status (after the retries above).
   * Rejects with kind `network`, `auth`, `authTimeout`, `timeout`, `aborted` or `closed`.
   */
  async send(request: TransportRequest): Promise<TransportResponse> {
    const { answer, resent } = await this.sendForText(request);
    return { status: answer.statusCode, headers: answer.headers, text: answer.text, resent };
  }

  /**
   * Sends `request`; resolves with the body of a 2xx answer, rejects with kind `api` for any other
   * (its `resent` says whether it answered the request sent again after an attempt that may have
   * been applied).
   */
  async text(request: TransportRequest): Promise<string> {
    const { answer, resent } = await this.sendForText(request);
    const { statusCode, headers, text } = answer;
    if (statusCode >= 200 && statusCode < 300) return text;
    throw apiError(statusCode, text, header(headers, 'retry-after'), describe(request), resent);
  }

  /** Sends `request`; resolves with the parsed JSON of a 2xx answer (kind `invalidResponse` if not JSON). */
  async json(request: TransportRequest): Promise<unknown> {
    const text = await this.text(request);
    try {
      return JSON.parse(text) as unknown;
    } catch (error: unknown) {
      throw new KubeClientError('invalidResponse', `${describe(request)}: the answer is not JSON`, {
        cause: error,
      });
    }
  }

  /**
   * Sends `request` (a watch) without undici's body timeout: resolves once a 2xx answer's headers
   * arrived, with its body as a stream of chunks (destroy it, or abort `request.signal`, to stop).
   * `request.timeoutMs` (default none) bounds only the wait for the headers, in the clock's time:
   * past it, kind `timeout`. A non-2xx answer rejects with kind `api`.
   */
  async stream(request: TransportRequest): Promise<TransportStream> {
    const headersTimeoutMs = request.timeoutMs ?? 0;
    let signal = request.signal;
    const stopTimer = new AbortController();
    if (headersTimeoutMs > 0) {
      const headersDeadline = new AbortController();
      this.clock.sleep(headersTimeoutMs, stopTimer.signal).then(
        () => {
          headersDeadline.abort(new DOMException('no answer in time', 'TimeoutError'));
        },
        () => undefined, // the answer came first
      );
      signal =
        signal === undefined ? headersDeadline.signal : AbortSignal.any([signal, headersDeadline.signal]);
    }
    const deadline = new Deadline(signal, 0);
    let exchanged: Exchanged<StreamedAnswer>;
    try {
      exchanged = await this.exchange(request, deadline, this.streamOnce);
    } finally {
      deadline.end();
      stopTimer.abort();
    }
    const { answer: response, resent } = exchanged;
    if (response.statusCode >= 200 && response.statusCode < 300) {
      return { status: response.statusCode, headers: response.headers, body: response.data.body };
    }
    const text = await response.data.body.text().catch(() => '');
    throw apiError(
      response.statusCode,
      text,
      header(response.headers, 'retry-after'),
      describe(request),
      resent,
    );
  }

  /** Open dispatchers, and old ones still finishing their requests after a TLS change. */
  get connections(): { readonly dispatchers: number; readonly retiring: number } {
    return this.dispatchers.stats();
  }

  /**
   * Stops the transport: new requests fail with kind `closed`; resolves once requests in flight
   * have finished (`graceful`, the default) or failed (`graceful: false`). Idempotent.
   */
  async close(graceful = true): Promise<void> {
    await this.dispatchers.close(graceful);
  }

  /** Sends `request` and collects its whole answer as text (after the retries). */
  private async sendForText(request: TransportRequest): Promise<Exchanged<CollectedResponse>> {
    const deadline = new Deadline(request.signal, request.timeoutMs ?? this.requestTimeoutMs);
    try {
      return await this.exchange(request, deadline, this.collectOnce);
    } finally {
      deadline.end();
    }
  }

  /** One attempt of a whole request: undici's `dispatch` with a handler that collects the body. */
  private readonly collectOnce = (
    credentials: Credentials,
    request: TransportRequest,
    deadline: Deadline,
  ): Promise<CollectedResponse> =>
    collectResponse(
      this.dispatchers.for(credentials, false),
      {
        origin: credentials.origin,
        path: credentials.basePath + request.path,
        method: request.method,
        headers: this.headersFor(credentials, request),
        body: request.body ?? null,
      },
      deadline,
      request.peek,
    );

  /** One attempt of a watch: undici's `request` (its body is a stream), without body timeout. */
  private readonly streamOnce = async (
    credentials: Credentials,
    request: TransportRequest,
    deadline: Deadline,
  ): Promise<StreamedAnswer> => {
    const data = await this.dispatchers.for(credentials, true).request({
      origin: credentials.origin,
      path: credentials.basePath + request.path,
      method: request.method,
      headers: this.headersFor(credentials, request),
      body: request.body ?? null,
      signal: deadline.caller ?? null,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    return { statusCode: data.statusCode, headers: data.headers, data };
  };

  /**
   * Sends `request` by `attempt` until an answer is final: authentication, the rate limit, a 401
   * once more with fresh credentials, 429 (and 5xx with `Retry-After` if idempotent) after their
   * wait, a broken connection once more (if idempotent or provably unsent), metrics per attempt.
   * The final answer says whether an earlier attempt may have been applied (`resent`).
   */
  private async exchange<R extends Answer>(
    request: TransportRequest,
    deadline: Deadline,
    attempt: (credentials: Credentials, request: TransportRequest, deadline: Deadline) => Promise<R>,
  ): Promise<Exchanged<R>> {
    const idempotent = request.idempotent ?? (request.method === 'GET' || request.method === 'HEAD');
    let reauthenticated = false;
    let resent = false;
    /** An earlier attempt may have been applied (it broke mid-way, or was answered a 5xx), and the request was sent again. */
    let mayHaveLanded = false;
    let retries = 0;
    for (;;) {
      if (this.dispatchers.isClosed)
        throw new KubeClientError('closed', `${describe(request)}: the client is closed`);
      if (deadline.isAborted()) throw this.failure(undefined, request, deadline);
      if (this.bucket !== undefined && !this.bucket.tryTake()) {
        await this.bucket.take(deadline.signal()).catch((error: unknown) => {
          throw this.failure(error, request, deadline);
        });
      }
      const credentials = this.auth.current() ?? (await this.auth.get(deadline.signal()));
      // What was waited for above (the rate limiter, credentials, a retry's wait) may have ended
      // late: the caller's guard first (its reason says more than a timeout), then the deadline.
      request.beforeSend?.();
      if (deadline.isAborted()) throw this.failure(undefined, request, deadline);
      const started = this.metrics === undefined ? 0 : this.clock.now();
      let response: R;
      try {
        response = await attempt(credentials, request, deadline);
      } catch (error: unknown) {
        this.metrics?.observe(
          request.method,
          credentials.host,
          undefined,
          (this.clock.now() - started) / 1000,
        );
        const code = errorCode(error);
        const unsent = code !== undefined && unsentCodes.has(code);
        const broken = code !== undefined && brokenCodes.has(code);
        if (!deadline.isAborted() && !resent && (unsent || (idempotent && broken))) {
          resent = true;
          if (!unsent) mayHaveLanded = true;
          continue;
        }
        throw this.failure(error, request, deadline);
      }
      const status = response.statusCode;
      this.metrics?.observe(request.method, credentials.host, status, (this.clock.now() - started) / 1000);
      if (status >= 200 && status < 300) return { answer: response, resent: mayHaveLanded };
      if (status === 401 && !reauthenticated) {
        // Perhaps the credentials rotated since the ones we kept: once more, afresh.
        await discard(response);
        this.auth.invalidate(credentials);
        reauthenticated = true;
        continue;
      }
      const retryAfter = parseRetryAfter(header(response.headers, 'retry-after'));
      const retryable = status === 429 || (status >= 500 && idempotent && retryAfter !== undefined);
      if (retryable && retries < this.maxRetries) {
        await discard(response);
        retries += 1;
        // A 5xx may come after the request was applied (a server-side timeout); a 429 never does.
        if (status !== 429) mayHaveLanded = true;
        const waitMs = Math.min(
          this.maxRetryAfterMs,
          retryAfter === undefined ? this.defaultRetryAfterMs : retryAfter * 1000,
        );
        await this.clock.sleep(waitMs, deadline.signal()).catch((error: unknown) => {
          throw this.failure(error, request, deadline);
        });
        continue;
      }
      return { answer: response, resent: mayHaveLanded };
    }
  }

  /**
   * The headers of `request`: those of `credentials`, `accept`, `user-agent`, its own and the
   * content type. Requests with none of their own (the common case: every renew of a lock) share
   * one object per credentials, built once.
   */
  private headersFor(credentials: Credentials, request: TransportRequest): Readonly<Record<string, string>> {
    const custom =
      request.accept !== undefined || request.headers !== undefined || request.contentType !== undefined;
    if (!custom) {
      let shared = this.defaultHeaders.get(credentials);
      if (shared === undefined) {
        const plain = { ...credentials.headers, accept: 'application/json', 'user-agent': this.userAgent };
        shared = { plain, json: { ...plain, 'content-type': 'application/json' } };
        this.defaultHeaders.set(credentials, shared);
      }
      return request.body === undefined ? shared.plain : shared.json;
    }
    const headers: Record<string, string> = {
      ...credentials.headers,
      accept: request.accept ?? 'application/json',
      'user-agent': this.userAgent,
      ...request.headers,
    };
    if (request.body !== undefined) headers['content-type'] = request.contentType ?? 'application/json';
    return headers;
  }

  /** The typed error for a failed exchange. */
  private failure(error: unknown, request: TransportRequest, deadline: Deadline): KubeClientError {
    if (KubeClientError.is(error)) return error;
    if (deadline.isAborted()) return abortedError(deadline.reason, describe(request));
    const code = errorCode(error);
    const reason = error instanceof Error ? error.message : String(error);
    if (code === 'UND_ERR_INVALID_ARG') {
      // undici refused the request itself, e.g. a header value with a line break from a kubeconfig.
      return new KubeClientError('invalidArgument', `${describe(request)}: ${reason}`, { cause: error });
    }
    return new KubeClientError(
      'network',
      `${describe(request)}: ${code === undefined ? '' : `${code}: `}${reason}`,
      {
        cause: error,
      },
    );
  }
}

/** `GET /api/v1/...` without the query, for messages. */
function describe(request: TransportRequest): string {
  const query = request.path.indexOf('?');
  return `${request.method} ${query < 0 ? request.path : request.path.slice(0, query)}`;
}
