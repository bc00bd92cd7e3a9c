import { ApiException, setHeaderMiddleware } from '@kubernetes/client-node';
import type { ConfigurationOptions, ObservableMiddleware } from '@kubernetes/client-node';
import { LeaderElectionError } from '../leader-election-error.js';

const userAgent = setHeaderMiddleware('User-Agent', 'kubekit-leaderelection');

/** Per-request client-node options that abort the HTTP request when `signal` aborts. */
export function requestOptions(signal: AbortSignal): ConfigurationOptions {
  const abortable: ObservableMiddleware = {
    pre: (context) => {
      context.setSignal(signal);
      return userAgent.pre(context);
    },
    post: (context) => userAgent.post(context),
  };
  return { middleware: [abortable], middlewareMergeStrategy: 'append' };
}

/** The HTTP status of a client-node failure, if it is an API response. */
export function statusCodeOf(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  if (typeof error === 'object' && error !== null) {
    const candidate =
      (error as { code?: unknown; statusCode?: unknown }).statusCode ?? (error as { code?: unknown }).code;
    if (typeof candidate === 'number') return candidate;
  }
  return undefined;
}

function statusMessage(error: unknown): string {
  if (!(error instanceof ApiException)) {
    const message = (error as { message?: unknown } | null)?.message;
    return typeof message === 'string' ? message : String(error);
  }
  const body: unknown = error.body;
  if (typeof body === 'string') {
    try {
      const status = JSON.parse(body) as { message?: unknown; reason?: unknown };
      const parts = [status.reason, status.message].filter((part) => typeof part === 'string');
      if (parts.length > 0) return parts.join(': ');
    } catch {
      return body.slice(0, 200);
    }
  }
  return `HTTP ${error.code}`;
}

function retryAfter(error: unknown): string {
  if (!(error instanceof ApiException)) return '';
  const headers = error.headers as Record<string, string | undefined> | undefined;
  const value = headers?.['retry-after'];
  return value === undefined ? '' : `, Retry-After ${value}s`;
}

/** How a lock request failed, for messages. */
export interface LockRequest {
  /** E.g. `lease kube-system/my-operator`. */
  readonly lock: string;
  readonly verb: 'get' | 'create' | 'update' | 'watch';
  /** Plural resource, e.g. `leases`. */
  readonly resource: string;
  readonly namespace: string;
}

/**
 * Turns a client-node failure into a `LeaderElectionError` whose message says what failed and what
 * to do. 409 → `lockConflict`; 401/403 → `forbidden`; 410 → `watchExpired`; an aborted request →
 * the signal's reason (or `timeout`); everything else → `apiError` with the status code.
 */
export function lockRequestError(
  error: unknown,
  request: LockRequest,
  signal: AbortSignal,
): LeaderElectionError {
  if (LeaderElectionError.is(error)) return error;
  const { lock, verb, resource, namespace } = request;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (LeaderElectionError.is(reason)) return reason;
    return new LeaderElectionError('timeout', `${lock}: ${verb} was aborted`, { cause: error });
  }
  const code = statusCodeOf(error);
  const detail = statusMessage(error);
  const options = { cause: error, ...(code === undefined ? {} : { statusCode: code }) };
  switch (code) {
    case undefined:
      return new LeaderElectionError(
        'apiError',
        `${lock}: ${verb} could not reach the API server (${detail}); check the kubeconfig's server address and the network`,
        options,
      );
    case 409:
      return new LeaderElectionError(
        'lockConflict',
        `${lock}: ${verb} conflicted (${detail}): someone else wrote the lock`,
        options,
      );
    case 401:
    case 403:
      return new LeaderElectionError(
        'forbidden',
        `${lock}: ${verb} ${resource} is forbidden (HTTP ${code}: ${detail}); grant RBAC ${resource}: get, create, update, watch, list (and events: create) in namespace ${namespace}`,
        options,
      );
    case 410:
      return new LeaderElectionError(
        'watchExpired',
        `${lock}: ${verb} resourceVersion too old (410)`,
        options,
      );
    case 404:
      return new LeaderElectionError(
        'apiError',
        `${lock}: ${verb} found nothing (404: ${detail}); does namespace ${namespace} exist, and does the server serve ${resource}?`,
        options,
      );
    case 429:
      return new LeaderElectionError(
        'apiError',
        `${lock}: ${verb} throttled by the API server (429${retryAfter(error)}: ${detail}); it is overloaded or this client exceeds its priority level`,
        options,
      );
    default:
      return new LeaderElectionError(
        'apiError',
        code >= 500
          ? `${lock}: ${verb} failed with a server error (HTTP ${code}: ${detail}); check the API server's health`
          : `${lock}: ${verb} was refused (HTTP ${code}: ${detail})`,
        options,
      );
  }
}
