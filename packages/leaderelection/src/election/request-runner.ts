import type { Subject } from 'rxjs';
import { startTimer, type Clock } from '../clock.js';
import { LeaderElectionError } from '../leader-election-error.js';
import type { LeaderElectionMetrics } from '../observability/leader-election-metrics.js';
import type { ConditionLog } from './condition-log.js';
import type { SignalRelays } from './signal-relays.js';

/** The verbs an elector sends to its lock. */
export type Verb = 'get' | 'create' | 'update';

function conditionOf(error: LeaderElectionError): string {
  return error.statusCode === undefined ? error.kind : `${error.kind}:${error.statusCode}`;
}

/** The metrics label of a failed request: its HTTP status, or `timeout` / `error`. */
export function outcomeOf(error: LeaderElectionError): string {
  if (error.statusCode !== undefined) return String(error.statusCode);
  return error.kind === 'timeout' ? 'timeout' : 'error';
}

/** What a {@link RequestRunner} needs from its elector. */
export interface RequestRunnerOptions {
  readonly description: string;
  readonly clock: Clock;
  readonly relays: SignalRelays;
  readonly metrics: LeaderElectionMetrics;
  readonly conditions: ConditionLog;
  readonly errors: Subject<LeaderElectionError>;
  /** The longest any one request may take, in ms. */
  readonly requestTimeout: number;
}

/**
 * Sends the elector's lock requests: each bounded in time, counted in the metrics, and failing
 * only with a `LeaderElectionError`; reports failures once per condition (and on `errors$`).
 */
export class RequestRunner {
  constructor(private readonly options: RequestRunnerOptions) {}

  /**
   * Runs one lock request bounded by `timeoutMs` (at most the request timeout) and `parents`,
   * counting it in the metrics and turning any failure into a `LeaderElectionError`. Settles when
   * its signal aborts, even if the lock does not.
   */
  async request<T>(
    verb: Verb,
    call: (signal: AbortSignal) => Promise<T>,
    timeoutMs: number,
    parents: readonly AbortSignal[],
  ): Promise<T> {
    const { metrics, description, requestTimeout } = this.options;
    timeoutMs = Math.min(timeoutMs, requestTimeout);
    try {
      const result = await this.bounded(verb, call, timeoutMs, parents);
      metrics.request(verb, '200');
      return result;
    } catch (error: unknown) {
      const failure = LeaderElectionError.is(error)
        ? error
        : new LeaderElectionError('apiError', `${description}: ${verb} failed: ${String(error)}`, {
            cause: error,
          });
      metrics.request(verb, outcomeOf(failure));
      throw failure;
    }
  }

  /** Logs (once per condition) that `doing` failed on `channel`, and emits it on `errors$`. */
  reportFailure(channel: string, doing: string, error: unknown): void {
    const failure = LeaderElectionError.is(error)
      ? error
      : new LeaderElectionError('apiError', String(error), { cause: error });
    this.options.conditions.fail(
      channel,
      conditionOf(failure),
      `${this.options.description}: ${doing} failed (${failure.message}); retrying`,
      failure,
    );
    this.options.errors.next(failure);
  }

  /**
   * Calls `call` with a signal that aborts after `timeoutMs` on the clock (reason: a
   * `LeaderElectionError` of kind `timeout`) or with the first of `parents` to abort (its reason),
   * and settles at once when it does. The equivalent of `deadlineSignal` without
   * `AbortSignal.any` and with one controller (the call's) and one clock timer: on the renew path
   * of a thousand electors every object per request shows in their CPU. The timer and every
   * listener go away when it settles; the call's signal is never aborted after it has settled.
   */
  private bounded<T>(
    verb: Verb,
    call: (signal: AbortSignal) => Promise<T>,
    timeoutMs: number,
    parents: readonly AbortSignal[],
  ): Promise<T> {
    const { relays, clock, description } = this.options;
    return new Promise<T>((resolve, reject) => {
      for (const parent of parents) {
        if (parent.aborted) {
          reject(parent.reason as Error);
          return;
        }
      }
      const controller = new AbortController();
      let settled = false;
      /** Ends the wait: removes the parents' listeners and (unless it fired) cancels the timer. */
      const settle = (timerFired: boolean): boolean => {
        if (settled) return false;
        settled = true;
        for (const parent of parents) relays.of(parent).delete(onParentAbort);
        if (!timerFired) timer.cancel();
        return true;
      };
      const onParentAbort = (): void => {
        const parent = parents.find((candidate) => candidate.aborted);
        if (!settle(false)) return;
        controller.abort(parent?.reason);
        reject(controller.signal.reason as Error);
      };
      const timer = startTimer(clock, Math.max(0, timeoutMs), () => {
        if (!settle(true)) return;
        controller.abort(
          new LeaderElectionError(
            'timeout',
            `${description}: ${verb} timed out after ${Math.round(timeoutMs)} ms`,
          ),
        );
        reject(controller.signal.reason as Error);
      });
      for (const parent of parents) relays.of(parent).add(onParentAbort);
      let pending: Promise<T>;
      try {
        pending = call(controller.signal);
      } catch (error: unknown) {
        settle(false);
        // As a Promise executor would: `request` turns whatever it is into a LeaderElectionError.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(error);
        return;
      }
      pending.then(
        (value) => {
          if (settle(false)) resolve(value);
        },
        (error: unknown) => {
          if (settle(false)) reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}
