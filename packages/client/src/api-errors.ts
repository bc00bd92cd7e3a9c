import { KubeClientError } from './kube-client-error.js';
import type { Status } from './kube-client-error.js';

/**
 * The reasons apimachinery knows (its `knownReasons`): an error with one of these is judged by its
 * reason alone; any other reason (`''`, envtest's `Unknown`, a reason of a newer server) by its code.
 */
const knownReasons = new Set([
  'Unauthorized',
  'Forbidden',
  'NotFound',
  'AlreadyExists',
  'Conflict',
  'Gone',
  'Invalid',
  'ServerTimeout',
  'StoreReadError',
  'Timeout',
  'TooManyRequests',
  'BadRequest',
  'MethodNotAllowed',
  'NotAcceptable',
  'RequestEntityTooLarge',
  'UnsupportedMediaType',
  'InternalError',
  'Expired',
  'ServiceUnavailable',
]);

/**
 * The reason and code of an API error, as apimachinery's `reasonAndCodeForError`: undefined for
 * anything that is not a `KubeClientError` of kind `api`.
 */
function reasonAndCode(error: unknown): { reason: string; code: number | undefined } | undefined {
  if (!KubeClientError.is(error, 'api')) return undefined;
  return { reason: error.reason, code: error.code };
}

/** The reason alone, as apimachinery's `ReasonForError` (for the helpers that ignore the code). */
function hasReason(error: unknown, reason: string): boolean {
  return reasonAndCode(error)?.reason === reason;
}

/** `reason`, or `code` when the reason is not one apimachinery knows (its `IsX` functions). */
function matches(error: unknown, reason: string, code: number): boolean {
  const found = reasonAndCode(error);
  if (found === undefined) return false;
  if (found.reason === reason) return true;
  return !knownReasons.has(found.reason) && found.code === code;
}

/** `reason`, or `code` whatever the reason (apimachinery's older `IsTooManyRequests` and `IsRequestEntityTooLargeError`). */
function matchesAnyReason(error: unknown, reason: string, code: number): boolean {
  const found = reasonAndCode(error);
  return found !== undefined && (found.reason === reason || found.code === code);
}

/** NotFound, or 404 with a reason apimachinery does not know: the object (or its namespace) does not exist. */
export function isNotFound(error: unknown): boolean {
  return matches(error, 'NotFound', 404);
}

/** AlreadyExists (409; the reason only): a create found an object of that name. */
export function isAlreadyExists(error: unknown): boolean {
  return hasReason(error, 'AlreadyExists');
}

/** Conflict (or 409 with an unknown reason): a stale resourceVersion, a failed precondition, or an apply conflict. */
export function isConflict(error: unknown): boolean {
  return matches(error, 'Conflict', 409);
}

/** Invalid (or 422 with an unknown reason): the object failed validation (`causes` name the fields). */
export function isInvalid(error: unknown): boolean {
  return matches(error, 'Invalid', 422);
}

/**
 * Expired (410; the reason only, as apimachinery's `IsResourceExpired`): a watch or list from a
 * resourceVersion older than the server keeps. Re-list.
 */
export function isExpired(error: unknown): boolean {
  return hasReason(error, 'Expired');
}

/** Gone (or 410 with an unknown reason). */
export function isGone(error: unknown): boolean {
  return matches(error, 'Gone', 410);
}

/** TooManyRequests, or 429 whatever the reason (see `retryAfter`). */
export function isTooManyRequests(error: unknown): boolean {
  return matchesAnyReason(error, 'TooManyRequests', 429);
}

/** Forbidden (or 403 with an unknown reason). */
export function isForbidden(error: unknown): boolean {
  return matches(error, 'Forbidden', 403);
}

/** Unauthorized (or 401 with an unknown reason), after the client authenticated afresh once. */
export function isUnauthorized(error: unknown): boolean {
  return matches(error, 'Unauthorized', 401);
}

/**
 * Timeout (or 504 with an unknown reason): the server could not finish the request in time, e.g.
 * a watch from a resourceVersion the server has not reached (ResourceVersionTooLarge).
 */
export function isTimeout(error: unknown): boolean {
  return matches(error, 'Timeout', 504);
}

/** ServerTimeout (the reason only; no code stands for it): the request may be retried. */
export function isServerTimeout(error: unknown): boolean {
  return hasReason(error, 'ServerTimeout');
}

/** BadRequest (or 400 with an unknown reason). */
export function isBadRequest(error: unknown): boolean {
  return matches(error, 'BadRequest', 400);
}

/** MethodNotAllowed (or 405 with an unknown reason). */
export function isMethodNotSupported(error: unknown): boolean {
  return matches(error, 'MethodNotAllowed', 405);
}

/** NotAcceptable (or 406 with an unknown reason): the server cannot answer in the `Accept`ed form. */
export function isNotAcceptable(error: unknown): boolean {
  return matches(error, 'NotAcceptable', 406);
}

/** RequestEntityTooLarge, or 413 whatever the reason. */
export function isRequestEntityTooLarge(error: unknown): boolean {
  return matchesAnyReason(error, 'RequestEntityTooLarge', 413);
}

/** UnsupportedMediaType (or 415 with an unknown reason), e.g. a strategic merge patch of a custom resource. */
export function isUnsupportedMediaType(error: unknown): boolean {
  return matches(error, 'UnsupportedMediaType', 415);
}

/** InternalError (or 500 with an unknown reason). */
export function isInternalError(error: unknown): boolean {
  return matches(error, 'InternalError', 500);
}

/** ServiceUnavailable (or 503 with an unknown reason). */
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
