import type {
  CallOptions,
  DeleteOptions,
  KindRef,
  KubeObject,
  ObjectRef,
  PatchOptions,
  Status,
  WriteOptions,
} from '@kubekit/client';
import type { RunnableContext } from '@kubekit/manager';
import { ReconcileError } from '../reconcile-error.js';
import type {
  CachedApplyOptions,
  CachedClient,
  CachedListOptions,
  CachedReadOptions,
} from './cached-client.js';

/** A term of leadership, as the Manager hands it to leader-gated runnables. */
export type LeadershipTerm = NonNullable<RunnableContext['term']>;

/** Options of {@link fencedClient}. */
export interface FenceOptions {
  /** Aborts every request of the view (a reconcile's signal); the term's own signal always does. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The least time the term must have left (`term.remainingMs()`, ms) for a write to be sent.
   * Default 0: any time left. Make it the time a write usually takes, so that a write is not
   * sent when the term would end before its answer.
   */
  readonly minRemainingMs?: number | undefined;
}

/**
 * The cached client as seen from one term of leadership: its writes are sent only while `term`
 * is valid with at least `minRemainingMs` left — checked when the write is made and again right
 * before each attempt leaves the client (after its rate limiter's wait, authentication or a
 * retry's wait) —, abort when the term ends (or `signal` aborts), and time out no later than the
 * term's `remainingMs()` (a term without an end keeps the client's timeout); a refused write
 * throws a `ReconcileError` `fenced` without sending anything. Reads go to the cache as before. Without a
 * term (a runnable that is not leader-gated) every write is refused.
 *
 * This bounds what a reconciler can do after its term, whatever it forgets to check: a write is
 * never started once the term has ended. A write already sent cannot be called back, and may still
 * land after the term ended; `minRemainingMs` makes that window small, and the term's
 * `exclusiveUntil()` (beyond `validUntil()`) covers a write answered before it.
 *
 * `client` of the view is the unfenced API client; `close()` of the view does nothing (the
 * wrapped client stays shared).
 */
export function fencedClient(
  client: CachedClient,
  term: LeadershipTerm | undefined,
  options: FenceOptions = {},
): CachedClient {
  const minRemainingMs = options.minRemainingMs ?? 0;
  if (!Number.isFinite(minRemainingMs) || minRemainingMs < 0) {
    throw new ReconcileError(
      'invalidArgument',
      `fencedClient: minRemainingMs must be a finite number of ms ≥ 0, not ${String(minRemainingMs)}`,
    );
  }
  return new FencedClient(client, term, options.signal, minRemainingMs);
}

class FencedClient implements CachedClient {
  readonly cache: CachedClient['cache'];
  readonly client: CachedClient['client'];

  constructor(
    private readonly inner: CachedClient,
    private readonly term: LeadershipTerm | undefined,
    private readonly signal: AbortSignal | undefined,
    private readonly minRemainingMs: number,
  ) {
    this.cache = inner.cache;
    this.client = inner.client;
  }

  get<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    options?: CachedReadOptions,
  ): Promise<T | undefined> {
    return this.inner.get<T>(ref, options);
  }

  list<T extends KubeObject = KubeObject>(kind: KindRef, options?: CachedListOptions): Promise<T[]> {
    return this.inner.list<T>(kind, options);
  }

  create<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T> {
    return this.fence('create', options, (fenced) => this.inner.create(object, fenced));
  }

  update<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T> {
    return this.fence('update', options, (fenced) => this.inner.update(object, fenced));
  }

  patch<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: unknown,
    options?: PatchOptions,
  ): Promise<T> {
    return this.fence('patch', options, (fenced) => this.inner.patch<T>(ref, patch, fenced));
  }

  apply<T extends KubeObject>(object: T, options?: CachedApplyOptions): Promise<T> {
    return this.fence('apply', options, (fenced) => this.inner.apply(object, fenced));
  }

  delete<T extends KubeObject = KubeObject>(ref: ObjectRef, options?: DeleteOptions): Promise<T | Status> {
    return this.fence('delete', options, (fenced) => this.inner.delete<T>(ref, fenced));
  }

  updateStatus<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T> {
    return this.fence('updateStatus', options, (fenced) => this.inner.updateStatus(object, fenced));
  }

  patchStatus<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: unknown,
    options?: PatchOptions,
  ): Promise<T> {
    return this.fence('patchStatus', options, (fenced) => this.inner.patchStatus<T>(ref, patch, fenced));
  }

  close(): void {
    // The wrapped client is shared: the view has nothing of its own to close.
  }

  /** Throws `fenced` unless the term is valid with at least `minRemainingMs` left. */
  private check(verb: string): LeadershipTerm {
    const { term } = this;
    if (term === undefined) {
      throw new ReconcileError('fenced', `${verb} not sent: no term of leadership to fence it by`);
    }
    const left = term.remainingMs();
    if (!term.isValid() || left < this.minRemainingMs || left <= 0) {
      throw new ReconcileError(
        'fenced',
        `${verb} not sent: term ${String(term.epoch)} of ${term.identity} has ${left.toFixed(0)} ms left` +
          (this.minRemainingMs > 0 ? ` (at least ${String(this.minRemainingMs)} needed)` : ''),
      );
    }
    return term;
  }

  /**
   * Sends `write` with the term's signal and deadline, checking the term again right before each
   * attempt leaves (the client may have waited meanwhile: its rate limiter, authentication, a
   * retry's wait), or throws `fenced` without sending it.
   */
  private async fence<O extends CallOptions, R>(
    verb: string,
    options: O | undefined,
    write: (options: O) => Promise<R>,
  ): Promise<R> {
    const term = this.check(verb);
    const left = term.remainingMs();
    const signals = [options?.signal, this.signal, term.signal].filter(
      (signal): signal is AbortSignal => signal !== undefined,
    );
    const callerGuard = options?.beforeSend;
    const beforeSend = (): void => {
      this.check(verb);
      callerGuard?.();
    };
    // A term without an end (leader-for-life, no leader election) leaves the client's timeout as
    // it is; otherwise the write times out no later than the term's time left.
    const asked = options?.timeoutMs;
    const bounded = asked !== undefined && Number.isFinite(asked) && asked > 0 ? asked : Infinity;
    const timeoutMs = Number.isFinite(left) ? Math.max(1, Math.floor(Math.min(bounded, left))) : asked;
    return write({
      ...options,
      signal: AbortSignal.any(signals),
      beforeSend,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    } as O);
  }
}
