import type { RunnableContext } from '@kubekit/manager';

/** Names the object to reconcile. `namespace` is empty for cluster-scoped objects. */
export interface Request {
  readonly namespace: string;
  readonly name: string;
}

/** What the Reconciler asks of the queue after a successful pass. */
export interface Result {
  /** Reconcile the same request again after this many milliseconds. */
  readonly requeueAfter?: number;
}

/** What a reconcile runs in, beside its request and signal. */
export interface ReconcileContext {
  /**
   * The term of leadership the controller runs in (the Manager's `context.term`); `undefined`
   * when the Manager runs without leader election. Check `term.isValid()` (or that
   * `term.validUntil()` leaves time for the write) before a side effect: the signal aborts the
   * instant the term ends, but a write already sent cannot be called back.
   */
  readonly term: RunnableContext['term'];
}

/**
 * Brings the world in line with one object's desired state. Called with the request, a signal
 * that aborts when the controller stops (or leadership is lost) and the context it runs in;
 * never called for the same request concurrently. Throw to retry with backoff; throw a
 * `TerminalError` not to.
 */
export interface Reconciler {
  reconcile(request: Request, signal: AbortSignal, context: ReconcileContext): Promise<Result>;
}

/** A reconcile function, for {@link reconcilerFunc}. */
export type ReconcileFunc = (
  request: Request,
  signal: AbortSignal,
  context: ReconcileContext,
) => Promise<Result>;

/** A {@link Reconciler} that calls `fn`: the function adapter, for controllers without a class. */
export function reconcilerFunc(fn: ReconcileFunc): Reconciler {
  return { reconcile: (request, signal, context) => fn(request, signal, context) };
}

/** The queue key of a request: `namespace/name`, or `name` when cluster-scoped. */
export function requestKey(request: Request): string {
  return request.namespace === '' ? request.name : `${request.namespace}/${request.name}`;
}
