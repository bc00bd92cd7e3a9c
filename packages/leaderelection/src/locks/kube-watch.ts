import { KubeClientError } from '@kubekit/client';
import type { WatchEvent } from '@kubekit/client';
import { LeaderElectionError } from '../leader-election-error.js';
import { lockRequestError, statusCodeOf } from './kube-request.js';
import type { LockRequest } from './kube-request.js';
import type { LockSnapshot, LockWatchHandlers } from './lock.js';

/** The query of a lock object's watch. */
export interface LockWatchQuery {
  /** `metadata.name=<the lock's name>`. */
  readonly fieldSelector: string;
  readonly allowWatchBookmarks: true;
  readonly resourceVersion: string | undefined;
}

/** An open watch. */
export interface LockWatchStream {
  /**
   * Its events, in order: the iteration ends when the server ends the stream, throws a
   * `KubeClientError` when it fails, and stops at once when the signal given to `open` aborts.
   */
  readonly events: AsyncIterable<WatchEvent>;
  /** Closes the stream without reading it (idempotent). */
  close(): void;
}

/** What `watchLockObject` needs to know about the kind of lock object. */
export interface WatchTarget {
  /** Opens the watch: resolves once the server accepted it; rejects when it refused it. */
  open(query: LockWatchQuery, signal: AbortSignal): Promise<LockWatchStream>;
  readonly name: string;
  readonly request: LockRequest;
  toSnapshot(object: unknown): LockSnapshot;
}

function resourceVersionOf(object: unknown): string {
  const metadata = (object as { metadata?: { resourceVersion?: unknown } } | undefined)?.metadata;
  return typeof metadata?.resourceVersion === 'string' ? metadata.resourceVersion : '';
}

/** A failure of the handlers, not of the watch: passed on as it is. */
class HandlerFailure extends Error {
  constructor(readonly error: unknown) {
    super('a watch handler threw', { cause: error });
  }
}

/** Read afresh: TypeScript would narrow a repeated `signal.aborted` check away. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/**
 * Watches one object (field selector on its name) through `target.open`, as `Lock.watch`
 * specifies: resolves when the server ends the stream, when `signal` aborts, and when an
 * established watch sees no data for its inactivity timeout (30 s, as client-node's `Watch`: a
 * quiet end, the caller resumes from its last resourceVersion); rejects with `watchExpired` for a
 * 410 (an `ERROR` event or a refused watch), with a handler's own error when it throws, and with
 * `lockRequestError`'s translation of any other failure.
 */
export async function watchLockObject(
  target: WatchTarget,
  resourceVersion: string | undefined,
  handlers: LockWatchHandlers,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return;
  let established = false;
  try {
    const stream = await target.open(
      { fieldSelector: `metadata.name=${target.name}`, allowWatchBookmarks: true, resourceVersion },
      signal,
    );
    if (isAborted(signal)) {
      stream.close();
      return;
    }
    established = true;
    try {
      handlers.onEstablished();
    } catch (error: unknown) {
      stream.close();
      throw new HandlerFailure(error);
    }
    for await (const { type, object } of stream.events) {
      try {
        switch (type) {
          case 'ADDED':
          case 'MODIFIED':
            handlers.onEvent({ type: 'changed', snapshot: target.toSnapshot(object) });
            break;
          case 'DELETED':
            handlers.onEvent({ type: 'deleted', resourceVersion: resourceVersionOf(object) });
            break;
          case 'BOOKMARK':
            handlers.onEvent({ type: 'bookmark', resourceVersion: resourceVersionOf(object) });
            break;
        }
      } catch (error: unknown) {
        // Leaving the loop closes the stream.
        throw new HandlerFailure(error);
      }
      if (isAborted(signal)) return;
    }
  } catch (error: unknown) {
    if (error instanceof HandlerFailure) {
      throw error.error instanceof Error ? error.error : new Error('watch failed', { cause: error.error });
    }
    if (isAborted(signal)) return;
    if (established && KubeClientError.is(error, 'timeout')) return;
    if (statusCodeOf(error) === 410) {
      const message = KubeClientError.is(error) ? (error.status?.message ?? error.message) : String(error);
      throw new LeaderElectionError(
        'watchExpired',
        `${target.request.lock}: watch expired (410: ${message})`,
        { statusCode: 410, cause: error },
      );
    }
    throw lockRequestError(error, target.request, signal);
  }
}
