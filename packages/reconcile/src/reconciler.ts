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

/**
 * Brings the world in line with one object's desired state. Called with the request and a
 * signal that aborts when the controller stops (or leadership is lost); never called for the
 * same request concurrently. Throw to retry with backoff; throw a `TerminalError` not to.
 */
export interface Reconciler {
  reconcile(request: Request, signal: AbortSignal): Promise<Result>;
}

/** The queue key of a request: `namespace/name`, or `name` when cluster-scoped. */
export function requestKey(request: Request): string {
  return request.namespace === '' ? request.name : `${request.namespace}/${request.name}`;
}
