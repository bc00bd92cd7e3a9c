import { KubeClientError } from './kube-client-error.js';
import type { Status } from './kube-client-error.js';

/**
 * The reason and code of an API error, as apimachinery's `reasonAndCodeForError`: undefined for
 * anything that is not a `KubeClientError` of kind `api`.
 */
function reasonAndCode(error: unknown): { reason: string; code: number | undefined } | undefined {
  if (!KubeClientError.is(error, 'api')) return undefined;
  return { reason: error.reason, code: error.code };
}

/** `reason`, or (when the server gave no reason) the HTTP code that stands for it. */
function matches(error: unknown, reason: string, code: number | undefined): boolean {
  const found = reasonAndCode(error);
  if (found === undefined) return false;
  if (found.reason === reason) return true;
  return found.reason === '' && code !== undefined && found.code === code;
}

/** 404 NotFound: the object (or its namespace) does not exist. */
export function isNotFound(error: unknown): boolean {
  return matches(error, 'NotFound', 404);
}

/** 409 AlreadyExists: a create found an object of that name. */
export function isAlreadyExists(error: unknown): boolean {
  return matches(error, 'AlreadyExists', undefined);
}

/** 409 Conflict: a stale resourceVersion, a failed precondition, or an apply conflict. */
export function isConflict(error: unknown): boolean {
  return matches(error, 'Conflict', 409);
}

/** 422 Invalid: the object failed validation (`causes` name the fields). */
export function isInvalid(error: unknown): boolean {
  return matches(error, 'Invalid', 422);
}

/** 410 Expired: a watch or list from a resourceVersion older than the server keeps. Re-list. */
export function isExpired(error: unknown): boolean {
  return matches(error, 'Expired', 410);
}

/** 410 Gone. */
export function isGone(error: unknown): boolean {
  return matches(error, 'Gone', 410);
}

/** 429 TooManyRequests (see `retryAfter`). */
export function isTooManyRequests(error: unknown): boolean {
  return matches(error, 'TooManyRequests', 429);
}

/** 403 Forbidden. */
export function isForbidden(error: unknown): boolean {
  return matches(error, 'Forbidden', 403);
}

/** 401 Unauthorized (after the client authenticated afresh once). */
export function isUnauthorized(error: unknown): boolean {
  return matches(error, 'Unauthorized', 401);
}

/** 504 Timeout: the server could not finish the request in time. */
export function isTimeout(error: unknown): boolean {
  return matches(error, 'Timeout', 504);
}

/** ServerTimeout (500): the server could not finish the request in time; it may be retried. */
export function isServerTimeout(error: unknown): boolean {
  return matches(error, 'ServerTimeout', undefined);
}

/** 400 BadRequest. */
export function isBadRequest(error: unknown): boolean {
  return matches(error, 'BadRequest', 400);
}

/** 405 MethodNotAllowed. */
export function isMethodNotSupported(error: unknown): boolean {
  return matches(error, 'MethodNotAllowed', 405);
}

/** 413 RequestEntityTooLarge. */
export function isRequestEntityTooLarge(error: unknown): boolean {
  return matches(error, 'RequestEntityTooLarge', 413);
}

/** 415 UnsupportedMediaType (e.g. a strategic merge patch of a custom resource). */
export function isUnsupportedMediaType(error: unknown): boolean {
  return matches(error, 'UnsupportedMediaType', 415);
}

/** 500 InternalError. */
export function isInternalError(error: unknown): boolean {
  return matches(error, 'InternalError', 500);
}

/** 503 ServiceUnavailable. */
export function isServiceUnavailable(error: unknown): boolean {
  return matches(error, 'ServiceUnavailable', 503);
}

function isStatus(value: unknown): value is Status {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';
}

/** Seconds of a `Retry-After` header (delta-seconds only, as kube-apiserver sends), if valid. */
export function parseRetryAfter(header: string | undefined): number | undefined {
  if (header === undefined || !/^\s*\d+\s*$/.test(header)) return undefined;
  return Number(header);
}

/**
 * The error for a non-2xx answer: its Status when the body is one (kube-apiserver's errors), else
 * a Status-less error with the code and the start of the body.
 * @param what e.g. `GET /api/v1/namespaces/x/pods/y`, for the message.
 * @param resent the answer is to the request sent again after an attempt that may have been applied (see `KubeClientError.resent`).
 */
export function apiError(
  code: number,
  body: string,
  retryAfterHeader: string | undefined,
  what: string,
  resent = false,
): KubeClientError {
  let status: Status | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (isStatus(parsed)) status = parsed;
  } catch {
    // Not JSON: a proxy's or load balancer's page.
  }
  const retryAfter = parseRetryAfter(retryAfterHeader);
  const detail = status?.message ?? (body.length > 200 ? `${body.slice(0, 200)}…` : body);
  const reason = status?.reason !== undefined && status.reason !== '' ? ` ${status.reason}` : '';
  const again = resent ? ' (answer to the request sent again: an earlier attempt may have been applied)' : '';
  return new KubeClientError('api', `${what}: ${code}${reason}: ${detail}${again}`, {
    code,
    ...(status === undefined ? {} : { status }),
    ...(retryAfter === undefined ? {} : { retryAfter }),
    resent,
  });
}

/** The error for a watch `ERROR` event whose object is a Status (e.g. 410 Expired). */
export function watchError(object: unknown, what: string): KubeClientError {
  if (!isStatus(object)) {
    return new KubeClientError('invalidResponse', `${what}: an ERROR event without a Status`);
  }
  const reason = object.reason !== undefined && object.reason !== '' ? ` ${object.reason}` : '';
  return new KubeClientError(
    'api',
    `${what}: ERROR event: ${object.code ?? 0}${reason}: ${object.message ?? ''}`,
    {
      ...(object.code === undefined ? {} : { code: object.code }),
      status: object,
    },
  );
}
