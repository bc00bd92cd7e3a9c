import type { Clock, Elector, Logger, Term } from '@kubekit/leaderelection';
import type { Subscription } from 'rxjs';
import { messageOf, whenAborted } from './async-helpers.js';
import { ManagerError } from './manager-error.js';
import type { LeadershipLostPolicy } from './manager-options.js';
import type { ManagerMetrics } from './observability/manager-metrics.js';
import { RunnableGroup, type RunnableEntry } from './runnable-group.js';
import { rehearsalEntry, rehearsed, RehearsalTerm } from './term-rehearsal.js';

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
  /** What aborted `controller`: the end of the term or shutdown (`undefined` until then). */
  endedBy: 'term' | 'shutdown' | undefined;
  /** How many runnables the term's start started. */
  started: number;
  /** Removes the listeners that abort `controller`. */
  readonly detach: () => void;
}

/**
 * The manager's one loop over terms: waits for a term, starts the leader-gated runnables in it
 * (through `term.runWhileLeading`), and when the term ends (loss) or shutdown begins, awaits them
 * within the bound that applies. It alone owns the current term's runs. A term that begins while
 * the previous term's runnables are still stopping waits for them, and starts once they have (if
 * it has not ended by then). Runs of an ended term that have not settled are tracked on every later
 * term of the elector, so that the elector does not release the lock while they run.
 */
export class TermRunner {
  /** Leader-gated runnables that had not stopped when their bound passed. */
  readonly lateRunnables: string[] = [];
  private current: TermRun | undefined;
  /** Runs of ended terms that have not settled yet, by name. */
  private readonly stragglers = new Map<Promise<void>, string>();
  private subscription: Subscription | undefined;

  constructor(private readonly options: TermRunnerOptions) {}

  /** Starts `entry` in the current term, if there is one that has not ended. */
  addRunnable(entry: RunnableEntry): void {
    const run = this.current;
    if (run !== undefined && !run.controller.signal.aborted) this.startIn(run, entry);
  }

  /**
   * Runs terms until shutdown (or, with `exit`, the first loss, or until the elector ends). Never
   * rejects. A term's runnables start synchronously inside the elector's leadership notification,
   * before the elector goes on with anything else (its Event, its first renew). The subscription to
   * the elector's leadership outlives the loop (until {@link TermRunner.dispose}) to track runs that
   * have not stopped on any later term.
   */
  run(): Promise<void> {
    const { elector, shutdown } = this.options;
    return new Promise<void>((resolve) => {
      let previous: Term | undefined;
      /** The latest term that began while the previous one's runnables were still stopping. */
      let waiting: Term | undefined;
      let busy = false;
      let finished = false;
      /** The elector ended (its leadership$ completed). */
      let ended = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        shutdown.removeEventListener('abort', onShutdown);
        resolve();
      };
      const onShutdown = (): void => {
        if (!busy) finish();
      };
      const next = (): void => {
        // A term that arrives while busy stays waiting until the previous term's runs have stopped.
        if (finished || busy) return;
        const term = waiting;
        waiting = undefined;
        // Never start leader-gated runnables once shutdown began.
        if (term === undefined || shutdown.aborted) return;
        if (term === previous || term.signal.aborted) return;
        previous = term;
        busy = true;
        this.runTerm(term)
          .catch((error: unknown): 'done' => {
            this.options.stop(
              new ManagerError(
                'invalidState',
                `the leader-gated runnables of epoch ${term.epoch} could not be run: ${messageOf(error)}; this is a bug in @kubekit/manager, please report it`,
                { cause: error },
              ),
            );
            return 'done';
          })
          .then((outcome) => {
            busy = false;
            if (outcome === 'done' || shutdown.aborted || ended) finish();
            else next();
          })
          .catch(() => undefined);
      };
      this.rehearse();
      next(); // (nothing waits yet: compiled before the first term, as the rehearsal's functions)
      this.subscription = elector.leadership$.subscribe({
        next: (leadership) => {
          if (!leadership.leading) return;
          this.trackStragglers(leadership.term);
          if (finished) return;
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

  /** Ends the subscription to the elector's leadership (once the elector has stopped). */
  dispose(): void {
    this.subscription?.unsubscribe();
  }

  /** Tracks every run of an ended term that has not settled on `term`. */
  private trackStragglers(term: Term): void {
    for (const [settled, name] of this.stragglers) trackOn(term, settled, name);
  }

  /** Records the runs of `run` that have not settled (its term has ended, or shutdown began). */
  private keepStragglers(run: TermRun): void {
    let now: Term | undefined;
    try {
      now = this.options.elector.currentTerm();
    } catch {
      now = undefined;
    }
    for (const { settled, name } of run.group.pendingRuns()) {
      this.stragglers.set(settled, name);
      void settled.then(() => this.stragglers.delete(settled));
      // A term the elector began already (re-acquired at once) must not release under them either.
      if (now !== undefined && now !== run.term) trackOn(now, settled, name);
    }
  }

  private startIn(run: TermRun, entry: RunnableEntry): void {
    void run.group.run(entry, run.controller.signal, { term: run.term }, (start) =>
      run.term.runWhileLeading(entry.name, () => start()),
    );
  }

  /**
   * Runs one term: starts its runnables synchronously (before the returned promise is created),
   * then awaits the end of the term or shutdown; `lost` when it ended by a loss and campaigning
   * goes on, else `done`. The start is a small synchronous method of its own, called first, so
   * that nothing else runs (or is compiled, on a replica's first term) before the runnables start:
   * counting and logging the term come right after.
   */
  private runTerm(term: Term): Promise<'lost' | 'done'> {
    let run: TermRun;
    try {
      const { metrics } = this.options;
      const group = new RunnableGroup(this.options.onFailure, (count) => {
        metrics.leaderRunnables(count);
      });
      // A copy: a runnable added while these start (from a start() of theirs) starts through
      // addRunnable, once.
      run = this.beginTerm(term, group, [...this.options.entries()]);
    } catch (error: unknown) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.awaitTerm(run);
  }

  /**
   * Starts `entries` in `group` under a signal that aborts when `term` ends or shutdown begins;
   * the run is the current one from before the first start.
   */
  private beginTerm(term: Term, group: RunnableGroup, entries: readonly RunnableEntry[]): TermRun {
    const { shutdown } = this.options;
    const controller = new AbortController();
    const onTermEnd = (): void => {
      run.endedBy ??= 'term';
      controller.abort(term.signal.reason);
    };
    const onShutdown = (): void => {
      run.endedBy ??= 'shutdown';
      controller.abort(shutdown.reason);
    };
    const run: TermRun = {
      term,
      controller,
      group,
      endedBy: undefined,
      started: 0,
      detach: () => {
        term.signal.removeEventListener('abort', onTermEnd);
        shutdown.removeEventListener('abort', onShutdown);
      },
    };
    term.signal.addEventListener('abort', onTermEnd, { once: true });
    shutdown.addEventListener('abort', onShutdown, { once: true });
    this.current = run;
    try {
      for (const entry of entries) {
        // A start() may end the term or begin shutdown: start nothing more then.
        if (controller.signal.aborted) break;
        this.startIn(run, entry);
        run.started += 1;
      }
    } catch (error: unknown) {
      // Whatever started must not outlive this failed start of the term.
      controller.abort(error);
      run.detach();
      this.current = undefined;
      throw error;
    }
    return run;
  }

  /**
   * Goes once through the start of a term, before the campaign, with a term that is never
   * published and one runnable that does nothing: V8 compiles a function at its first call, and on
   * a replica's first term (a new Pod taking over: the common case) that compilation, about half a
   * millisecond, would otherwise lie between the acquisition and the start of the leader-gated
   * runnables. No runnable of the manager starts, no metric counts and nothing is logged; the
   * rehearsal's run settles at once and is not the current one after it. Best effort: a failure in
   * it (a custom clock that throws) is ignored, so that it cannot keep the real terms from running.
   */
  private rehearse(): void {
    try {
      const term = new RehearsalTerm(this.options.clock);
      this.trackStragglers(term); // (no run of an ended term exists yet: tracks nothing)
      this.options.entries();
      const run = this.beginTerm(term, new RunnableGroup(() => undefined), [rehearsalEntry]);
      this.current = undefined;
      run.controller.abort(rehearsed);
      run.detach();
    } catch {
      // Only an optimisation: the first term compiles the start path instead.
    } finally {
      this.current = undefined;
    }
  }

  /** After {@link TermRunner.beginTerm}: counts and logs the term, awaits its end and its runs. */
  private async awaitTerm(run: TermRun): Promise<'lost' | 'done'> {
    const { logger, metrics, elector } = this.options;
    const { term } = run;
    try {
      metrics.transition('acquired');
      logger.info(
        {
          lock: elector.lockDescription,
          identity: term.identity,
          epoch: term.epoch,
          runnables: run.started,
        },
        'leading: started the leader-gated runnables',
      );
      await whenAborted(run.controller.signal);
      run.detach();
      this.keepStragglers(run);
      return run.endedBy === 'term' ? await this.afterLoss(run) : await this.afterShutdown(run);
    } finally {
      run.detach();
      this.current = undefined;
      metrics.leaderRunnables(run.group.size);
    }
  }

  /**
   * Shutdown: awaits the runs within the shutdown budget. When the term ends meanwhile (a loss
   * during shutdown), the loss bound applies from then on, and it counts as a loss.
   */
  private async afterShutdown(run: TermRun): Promise<'done'> {
    const { clock, logger, metrics } = this.options;
    const { term } = run;
    const late = await run.group.settle(clock, this.options.deadline(), term.signal);
    if (late.length > 0 && term.signal.aborted) {
      await this.boundLoss(run, 'during shutdown');
      return 'done';
    }
    metrics.transition('stopped');
    this.lateRunnables.push(...late);
    if (late.length === 0) logger.info({ epoch: term.epoch }, 'leader-gated runnables stopped');
    return 'done';
  }

  private async afterLoss(run: TermRun): Promise<'lost' | 'done'> {
    const { logger, policy } = this.options;
    const { term } = run;
    if (await this.boundLoss(run, 'while running')) return 'done';
    const where = this.lossDescription(term);
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

  /**
   * After the term of `run` ended by a loss: counts it, awaits the runs until shortly before another
   * replica may lead (and no longer than the shutdown budget), and when some have not stopped by
   * then, names them and stops the manager (`leadershipLost`) before that moment. True when runs
   * were late.
   */
  private async boundLoss(run: TermRun, when: string): Promise<boolean> {
    const { clock, logger, metrics, elector } = this.options;
    const { term } = run;
    const lostAt = clock.now();
    const exclusiveUntil = term.exclusiveUntil();
    const bound = Math.min(this.options.deadline(), Math.max(0, exclusiveUntil - lostAt - lossMargin));
    metrics.transition('lost');
    logger.warn(
      {
        lock: elector.lockDescription,
        epoch: term.epoch,
        boundMs: bound,
        reason: messageOf(term.signal.reason),
      },
      `leadership lost ${when}: aborted every leader-gated runnable; awaiting them`,
    );
    const late = await run.group.settle(clock, bound);
    if (late.length === 0) return false;
    this.lateRunnables.push(...late);
    const error = new ManagerError(
      'leadershipLost',
      `${this.lossDescription(term)}, and leader-gated runnables ${late.join(', ')} did not stop within ${Math.round(bound)} ms of their signal, ` +
        'before another replica may lead; the manager stops (exit the process): make them stop as soon as their signal aborts',
      { cause: term.signal.reason, runnables: late },
    );
    logger.error({ runnables: late, epoch: term.epoch }, error.message);
    this.options.stop(error, Math.max(lostAt, exclusiveUntil - lossMargin / 2));
    return true;
  }

  private lossDescription(term: Term): string {
    const { elector } = this.options;
    return `${elector.lockDescription}: ${term.identity} lost leadership (epoch ${term.epoch}: ${messageOf(term.signal.reason)})`;
  }
}

/** `term.track(work, name)`, guarded: a term that cannot track (a custom one that throws) is skipped. */
function trackOn(term: Term, work: Promise<void>, name: string): void {
  try {
    void Promise.resolve(term.track(work, name)).catch(() => undefined);
  } catch {
    // Nothing else can be done for this term.
  }
}
