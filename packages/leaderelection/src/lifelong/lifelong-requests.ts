import type { Clock } from '../clock.js';
import { deadlineSignal } from '../election/deadline-signal.js';
import { LeaderElectionError } from '../leader-election-error.js';
import type { Logger } from '../logger.js';
import { statusCodeOf } from './lifelong-api.js';

/** An API verb leader-for-life uses, for error messages that say what to grant. */
export type LifelongVerb = 'get' | 'create' | 'delete' | 'watch';
/** A resource leader-for-life uses. */
export type LifelongResource = 'pods' | 'configmaps' | 'nodes';

/** What {@link LifelongRequests} needs. */
export interface LifelongRequestsOptions {
  readonly clock: Clock;
  /** Timeout of one request in ms. */
  readonly requestTimeout: number;
  /** `configmap <namespace>/<name>`, the prefix of every message. */
  readonly lockDescription: string;
  readonly namespace: string;
  readonly logger: Logger;
  /** Receives every failure that is being retried, typed. */
  readonly onError: (error: LeaderElectionError) => void;
}

/**
 * How leader-for-life runs its API requests and reports their failures: each request bounded by
 * `requestTimeout` and by the elector's signal; failures typed (`forbidden` naming the verb and
 * resource to grant, `timeout`, `apiError`), logged once per failure condition (warn) until a
 * request succeeds again (info), and passed to `onError`.
 */
export class LifelongRequests {
  /** The message of the failure condition logged last, until it recovers. */
  private failing: string | undefined;
  /** Aborts every request; set by the elector when it runs. */
  private stopSignal: AbortSignal = new AbortController().signal;

  constructor(private readonly options: LifelongRequestsOptions) {}

  /** Makes every later request abort when `signal` aborts (the elector's `run` signal). */
  stopOn(signal: AbortSignal): void {
    this.stopSignal = signal;
  }

  /**
   * Runs one API request under a signal that aborts when `parent` (default: the stop signal) aborts
   * or after `requestTimeout`, with a `timeout` error; leaves no timer behind.
   */
  async request<T>(work: (signal: AbortSignal) => Promise<T>, parent = this.stopSignal): Promise<T> {
    const { clock, requestTimeout, lockDescription } = this.options;
    using deadline = deadlineSignal(
      clock,
      requestTimeout,
      [parent],
      `${lockDescription}: an API request got no answer within ${requestTimeout} ms; retrying`,
    );
    try {
      return await work(deadline.signal);
    } catch (error) {
      // The request may reject with a generic abort error: report the timeout instead.
      if (deadline.signal.aborted && !parent.aborted) throw deadline.signal.reason as Error;
      throw error;
    }
  }

  /** A request succeeded: logs the end of a logged failure condition. */
  recovered(): void {
    if (this.failing === undefined) return;
    this.options.logger.info(
      { lock: this.options.lockDescription, previously: this.failing },
      'API requests succeed again',
    );
    this.failing = undefined;
  }

  /** Reports a failure that is being retried: logged once per condition, always passed on. */
  report(error: unknown): void {
    const { lockDescription, logger } = this.options;
    const typed = LeaderElectionError.is(error)
      ? error
      : new LeaderElectionError('apiError', `${lockDescription}: ${String(error)}`, { cause: error });
    if (typed.message !== this.failing) {
      this.failing = typed.message;
      logger.warn({ lock: lockDescription, kind: typed.kind, err: typed }, typed.message);
    }
    this.options.onError(typed);
  }

  /** Types an API failure: `forbidden` (naming what to grant) for a 403, else `apiError`. */
  wrap(error: unknown, verb: LifelongVerb, resource: LifelongResource, name: string): LeaderElectionError {
    if (LeaderElectionError.is(error)) return error;
    const { lockDescription, namespace } = this.options;
    const code = statusCodeOf(error);
    const where = resource === 'nodes' ? '' : ` in namespace ${namespace}`;
    if (code === 403) {
      return new LeaderElectionError(
        'forbidden',
        `${lockDescription}: forbidden to ${verb} ${resource} "${name}"${where}: grant the Pod's service account ` +
          `verb "${verb}" on resource "${resource}" (apiGroup "")${resource === 'nodes' ? ' in a ClusterRole' : ''}; retrying`,
        { cause: error, statusCode: code },
      );
    }
    const detail = error instanceof Error ? error.message : String(error);
    return new LeaderElectionError(
      'apiError',
      `${lockDescription}: ${verb} ${resource} "${name}" failed${code === undefined ? '' : ` (${code})`}: ${detail}; retrying`,
      code === undefined ? { cause: error } : { cause: error, statusCode: code },
    );
  }
}
