import type { Clock, Elector, Logger, Term } from '@kubekit/leaderelection';
import { ManagerError } from './manager-error.js';
import type { LeadershipLostPolicy } from './manager-options.js';
import type { ManagerMetrics } from './observability/manager-metrics.js';
import { RunnableGroup, type RunnableEntry } from './runnable-group.js';

/**
 * How long before another replica could lead (`term.exclusiveUntil()`) the leader-gated runnables
 * of a lost term must have stopped: time for the manager to stop, and for the clock rates of two
 * machines to differ. When a term ends because another holder was seen (or a leader-for-life lock
 * was taken), `exclusiveUntil()` is the moment of loss and the bound is 0: only runnables that stop
 * as soon as they see their signal (within one timer turn) count as stopped.
 */
export const lossMargin = 1_000;

/** What a {@link TermRunner} needs from its manager. */
export interface TermRunnerOptions {
  readonly elector: Elector;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: ManagerMetrics;
  readonly policy: LeadershipLostPolicy;
  /** The manager's shutdown: aborts when shutdown begins. */
  readonly shutdown: AbortSignal;
  /** The leader-gated runnables registered so far. */
  readonly entries: () => readonly RunnableEntry[];
  readonly onFailure: (entry: RunnableEntry, error: unknown) => void;
  /** Stops the manager with `error`; `deadline` (monotonic ms) shortens the shutdown. */
  readonly stop: (error: ManagerError, deadline?: number) => void;
  /** Milliseconds left of the shutdown budget (gracefulShutdownTimeout). */
  readonly deadline: () => number;
}

/** The leader-gated runs of one term. */
interface TermRun {
  readonly term: Term;
  /** Aborts the instant the term ends or shutdown begins: every leader-gated runnable's signal. */
  readonly controller: AbortController;
  readonly group: RunnableGroup;
}

/**
 * The manager's one loop over terms: waits for a term, starts the leader-gated runnables in it
 * (through `term.runWhileLeading`), and when the term ends (loss) or shutdown begins, awaits them
 * within the bound that applies. It alone owns the current term's runs.
 */
export class TermRunner {
  /** Leader-gated runnables that had not stopped when their bound passed. */
  readonly lateRunnables: string[] = [];
  private current: TermRun | undefined;

  constructor(private readonly options: TermRunnerOptions) {}

  /** Starts `entry` in the current term, if there is one that has not ended. */
  addRunnable(entry: RunnableEntry): void {
    const run = this.current;
    if (run !== undefined && !run.controller.signal.aborted) this.startIn(run, entry);
  }

  /**
   * Runs terms until shutdown (or, with `exit`, the first loss, or until the elector ends). Never
   * rejects. A term's runnables start synchronously inside the elector's leadership notification,
   * before the elector goes on with anything else (its Event, its first renew).
   */
  run(): Promise<void> {
    const { elector, shutdown } = this.options;
    return new Promise<void>((resolve) => {
      let previous: Term | undefined;
      /** A term that began while the previous one's runnables were still stopping. */
      let waiting: Term | undefined;
      let busy = false;
      let finished = false;
      /** The elector ended (its leadership$ completed). */
      let ended = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        shutdown.removeEventListener('abort', onShutdown);
        queueMicrotask(() => {
          subscription.unsubscribe();
        });
        resolve();
      };
      const onShutdown = (): void => {
        if (!busy) finish();
      };
      const next = (): void => {
        const term = waiting;
        waiting = undefined;
        // Never start leader-gated runnables once shutdown began.
        if (finished || busy || term === undefined || shutdown.aborted) return;
        if (term === previous || term.signal.aborted) return;
        previous = term;
        busy = true;
        void this.runTerm(term).then((outcome) => {
          busy = false;
          if (outcome === 'done' || shutdown.aborted || ended) finish();
          else next();
        });
      };
      const subscription = elector.leadership$.subscribe({
        next: (leadership) => {
          if (!leadership.leading) return;
          waiting = leadership.term;
          next();
        },
        complete: () => {
          ended = true;
          if (!busy) finish();
        },
      });
      if (shutdown.aborted) onShutdown();
      else shutdown.addEventListener('abort', onShutdown, { once: true });
    });
  }

  private startIn(run: TermRun, entry: RunnableEntry): void {
    void run.group.run(entry, run.controller.signal, { term: run.term }, (start) =>
      run.term.runWhileLeading(entry.name, () => start()),
    );
  }

  /**
   * Runs one term: starts its runnables synchronously (before the returned promise is created),
   * then awaits the end of the term or shutdown; `lost` when it ended by a loss and campaigning
   * goes on, else `done`.
   */
  private async runTerm(term: Term): Promise<'lost' | 'done'> {
    const { logger, metrics, shutdown, elector } = this.options;
    const controller = new AbortController();
    const run: TermRun = {
      term,
      controller,
      group: new RunnableGroup(this.options.onFailure, (count) => {
        metrics.leaderRunnables(count);
      }),
    };
    let endedBy: 'term' | 'shutdown' | undefined;
    const onTermEnd = (): void => {
      endedBy ??= 'term';
      controller.abort(term.signal.reason);
    };
    const onShutdown = (): void => {
      endedBy ??= 'shutdown';
      controller.abort(shutdown.reason);
    };
    term.signal.addEventListener('abort', onTermEnd, { once: true });
    shutdown.addEventListener('abort', onShutdown, { once: true });
    this.current = run;
    metrics.transition('acquired');
    const entries = this.options.entries();
    logger.info(
      {
        lock: elector.lockDescription,
        identity: term.identity,
        epoch: term.epoch,
        runnables: entries.length,
      },
      'leading: starting the leader-gated runnables',
    );
    for (const entry of entries) this.startIn(run, entry);
    await new Promise<void>((resolve) => {
      if (controller.signal.aborted) resolve();
      else
        controller.signal.addEventListener(
          'abort',
          () => {
            resolve();
          },
          { once: true },
        );
    });
    term.signal.removeEventListener('abort', onTermEnd);
    shutdown.removeEventListener('abort', onShutdown);
    try {
      return endedBy === 'term' ? await this.afterLoss(run) : await this.afterShutdown(run);
    } finally {
      this.current = undefined;
      metrics.leaderRunnables(run.group.size);
    }
  }

  private async afterShutdown(run: TermRun): Promise<'done'> {
    const late = await run.group.settle(this.options.clock, this.options.deadline());
    this.options.metrics.transition('stopped');
    this.lateRunnables.push(...late);
    if (late.length === 0) {
      this.options.logger.info({ epoch: run.term.epoch }, 'leader-gated runnables stopped');
    }
    return 'done';
  }

  private async afterLoss(run: TermRun): Promise<'lost' | 'done'> {
    const { clock, logger, metrics, elector, policy } = this.options;
    const { term } = run;
    const lostAt = clock.now();
    const exclusiveUntil = term.exclusiveUntil();
    const bound = Math.max(0, exclusiveUntil - lostAt - lossMargin);
    const why = messageOf(term.signal.reason);
    metrics.transition('lost');
    logger.warn(
      { lock: elector.lockDescription, epoch: term.epoch, boundMs: bound, reason: why },
      'leadership lost: aborted every leader-gated runnable; awaiting them',
    );
    const late = await run.group.settle(clock, bound);
    const where = `${elector.lockDescription}: ${term.identity} lost leadership (epoch ${term.epoch}: ${why})`;
    if (late.length > 0) {
      this.lateRunnables.push(...late);
      const error = new ManagerError(
        'leadershipLost',
        `${where}, and leader-gated runnables ${late.join(', ')} did not stop within ${Math.round(bound)} ms of their signal, ` +
          'before another replica may lead; the manager stops (exit the process): make them stop as soon as their signal aborts',
        { cause: term.signal.reason, runnables: late },
      );
      logger.error({ runnables: late, epoch: term.epoch }, error.message);
      this.options.stop(error, Math.max(lostAt, exclusiveUntil - lossMargin / 2));
      return 'done';
    }
    if (policy === 'exit') {
      this.options.stop(
        new ManagerError(
          'leadershipLost',
          `${where}; every leader-gated runnable stopped; the manager stops because onLeadershipLost is "exit" ("recampaign" would campaign again)`,
          { cause: term.signal.reason },
        ),
      );
      return 'done';
    }
    logger.info({ epoch: term.epoch }, 'leader-gated runnables stopped; campaigning for the next term');
    return this.options.shutdown.aborted ? 'done' : 'lost';
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
