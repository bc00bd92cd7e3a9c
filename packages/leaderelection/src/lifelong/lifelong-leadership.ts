import type { Observable } from 'rxjs';
import type { Clock } from '../clock.js';
import { deadlineSignal } from '../election/deadline-signal.js';
import type { Leadership, Term } from '../election/elector.js';
import { LeadershipPublisher } from '../election/leadership-publisher.js';
import { LeaderElectionError } from '../leader-election-error.js';
import type { Logger } from '../logger.js';
import type { ElectionEvent, EventRecorder } from '../observability/event-recorder.js';
import type { LeaderElectionMetrics } from '../observability/leader-election-metrics.js';
import { LeaderForLifeTerm } from './leader-for-life-term.js';

/** What {@link LifelongLeadership} needs. */
export interface LifelongLeadershipOptions {
  readonly identity: string;
  readonly lockDescription: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: LeaderElectionMetrics;
  /** Where Events go; none when undefined. */
  readonly events: EventRecorder | undefined;
  /** Bound in ms on sending one Event. */
  readonly eventTimeout: number;
}

/**
 * What a leader-for-life elector tells the world, in one place: the current term, `leadership$`,
 * `leader$` and `errors$` (through the lease elector's {@link LeadershipPublisher}, so a subscriber
 * that throws is logged and cannot crash the process or the elector), the metrics, the log lines
 * and the Events of every transition. The campaign loop calls {@link LifelongLeadership.begin} and
 * {@link LifelongLeadership.end}; nothing else changes it.
 */
export class LifelongLeadership {
  readonly leadership$: Observable<Leadership>;
  readonly leader$: Observable<string | undefined>;
  readonly errors$: Observable<LeaderElectionError>;
  private readonly publisher: LeadershipPublisher;
  private readonly pendingEvents = new Set<Promise<void>>();
  private currentTerm: LeaderForLifeTerm | undefined;

  constructor(private readonly options: LifelongLeadershipOptions) {
    this.publisher = new LeadershipPublisher(options.logger, {
      lock: options.lockDescription,
      identity: options.identity,
    });
    this.leadership$ = this.publisher.leadership$;
    this.leader$ = this.publisher.leader$;
    this.errors$ = this.publisher.errors$;
  }

  /** The current term, `undefined` when not leading. */
  get term(): LeaderForLifeTerm | undefined {
    return this.currentTerm;
  }

  /** The name of the Pod last observed owning the lock. */
  get leader(): string | undefined {
    return this.publisher.leader;
  }

  /** The lock's owner as last observed (`undefined`: no lock). */
  observeLeader(name: string | undefined): void {
    this.publisher.publishLeader(name);
  }

  /** Passes a failure on to `errors$`. */
  reportError(error: LeaderElectionError): void {
    this.publisher.errors.next(error);
  }

  /**
   * Starts a term of `epoch` and announces it: on `leadership$` first (subscribers start
   * leader-gated work synchronously, inside the notification), then metrics, log and Event.
   */
  begin(epoch: number): LeaderForLifeTerm {
    const { identity, lockDescription, clock, logger, metrics } = this.options;
    const term = new LeaderForLifeTerm(identity, epoch, clock);
    this.currentTerm = term;
    this.publisher.publishLeadership({ leading: true, term });
    if (this.currentTerm === term) metrics.leading(true);
    metrics.transition('acquired');
    logger.info({ lock: lockDescription, identity, epoch }, `${identity} became leader`);
    this.recordEvent({ type: 'Normal', reason: 'LeaderElection', message: `${identity} became leader` });
    return term;
  }

  /**
   * Ends the current term with `reason` (`lost` or `stopped`): its signal aborts, then the end is
   * announced. Returns the term that ended, `undefined` when there was none.
   */
  end(reason: LeaderElectionError): LeaderForLifeTerm | undefined {
    const term = this.currentTerm;
    if (term === undefined) return undefined;
    const { identity, lockDescription, logger, metrics } = this.options;
    this.currentTerm = undefined;
    term.end(reason);
    const lost = reason.kind === 'lost';
    metrics.leading(false);
    if (lost) {
      metrics.transition('lost');
      logger.warn({ lock: lockDescription, identity, epoch: term.epoch }, reason.message);
    }
    this.publisher.publishLeadership({ leading: false });
    this.recordEvent({
      type: lost ? 'Warning' : 'Normal',
      reason: 'LeaderElection',
      message: `${identity} stopped leading: ${lost ? 'the lock was deleted or taken' : 'stopped'}`,
    });
    return term;
  }

  /** See `Elector.whenLeading`. */
  whenLeading(signal?: AbortSignal): Promise<Term> {
    return this.publisher.whenLeading(this.options.lockDescription, signal);
  }

  /** After the last term: waits for Events still being sent, then completes the observables. */
  async close(): Promise<void> {
    this.options.metrics.leading(false);
    await Promise.all([...this.pendingEvents]);
    this.publisher.complete();
  }

  /** Sends an Event, fire-and-forget, bounded by `eventTimeout`; `close` waits for it. */
  private recordEvent(event: ElectionEvent): void {
    const { events, clock, eventTimeout, lockDescription, logger } = this.options;
    if (events === undefined) return;
    const deadline = deadlineSignal(clock, eventTimeout, [], `${lockDescription}: event timed out`);
    const pending: Promise<void> = events
      .record(event, deadline.signal)
      .catch((error: unknown) => {
        logger.debug({ lock: lockDescription, err: error }, 'could not record an Event (ignored)');
      })
      .finally(() => {
        deadline[Symbol.dispose]();
        this.pendingEvents.delete(pending);
      });
    this.pendingEvents.add(pending);
  }
}
