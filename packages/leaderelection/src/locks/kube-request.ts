import { KubeClientError } from '@kubekit/client';
import { LeaderElectionError } from '../leader-election-error.js';

/** The HTTP status of a failed request, if the API server answered (or a watch sent an `ERROR` Status). */
export function statusCodeOf(error: unknown): number | undefined {
  if (KubeClientError.is(error)) return error.kind === 'api' ? error.code : undefined;
  if (typeof error === 'object' && error !== null) {
    const candidate =
      (error as { code?: unknown; statusCode?: unknown }).statusCode ?? (error as { code?: unknown }).code;
    if (typeof candidate === 'number') return candidate;
  }
  return undefined;
}

function statusMessage(error: unknown): string {
  if (KubeClientError.is(error, 'api') && error.status !== undefined) {
    const parts = [error.status.reason, error.status.message].filter(
      (part) => typeof part === 'string' && part !== '',
    );
    if (parts.length > 0) return parts.join(': ');
  }
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

function retryAfter(error: unknown): string {
  if (!KubeClientError.is(error) || error.retryAfter === undefined) return '';
  return `, Retry-After ${String(error.retryAfter)}s`;
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
 * Turns a failure of `@kubekit/client` (a `KubeClientError`) into a `LeaderElectionError` whose
 * message says what failed and what to do. 409 → `lockConflict` (`resent` when it answered the
 * request sent again after an attempt that may have been applied); 401/403 → `forbidden`; 410 →
 * `watchExpired`; an aborted request → the signal's reason (or `timeout`); an authentication that
 * did not finish in time (a hung exec plugin) → `timeout`; everything else → `apiError` (with the
 * status code when the server answered).
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
  if (code === undefined && KubeClientError.is(error)) {
    switch (error.kind) {
      case 'authTimeout':
        return new LeaderElectionError(
          'timeout',
          `${lock}: ${verb}: ${detail}; the next request tries again`,
          options,
        );
      case 'timeout':
        return new LeaderElectionError('timeout', `${lock}: ${verb} timed out (${detail})`, options);
      case 'auth':
      case 'invalidArgument':
        return new LeaderElectionError(
          'apiError',
          `${lock}: ${verb} could not authenticate (${detail}); check the kubeconfig's user and cluster`,
          options,
        );
      case 'api':
      case 'aborted':
      case 'closed':
      case 'invalidResponse':
      case 'network':
      case 'noKindMatch':
        break;
    }
  }
  switch (code) {
    case undefined:
      return new LeaderElectionError(
        'apiError',
        `${lock}: ${verb} could not reach the API server (${detail}); check the kubeconfig's server address and the network`,
        options,
      );
    case 409:
      if (KubeClientError.is(error) && error.resent) {
        // The first attempt may have landed: this 409 may be our own write in the way of its repeat.
        return new LeaderElectionError(
          'lockConflict',
          `${lock}: ${verb} conflicted (${detail}) when sent again: an earlier attempt may have written the lock`,
          { ...options, resent: true },
        );
      }
      return new LeaderElectionError(
        'lockConflict',
        `${lock}: ${verb} conflicted (${detail}): someone else wrote the lock`,
        options,
      );
    case 401:
    case 403:
      return new LeaderElectionError(
        'forbidden',
        `${lock}: ${verb} ${resource} is forbidden (HTTP ${code}: ${detail}); grant RBAC ${resource}: get, create, update, watch (and events: create) in namespace ${namespace}`,
        options,
      );
    case 410:
      return new LeaderElectionError(
        'watchExpired',
        `${lock}: ${verb} resourceVersion too old (410: ${detail})`,
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
