import { KubeConfig } from '@kubernetes/client-node';
import type { Observable } from 'rxjs';
import { systemClock, wallTime, type Clock } from '../clock.js';
import type { Elector, Leadership, Term } from '../election/elector.js';
import { LeaderElectionError } from '../leader-election-error.js';
import { quietLogger, safeLogger, type Logger } from '../logger.js';
import { LeaderElectionMetrics } from '../observability/leader-election-metrics.js';
import { Backoff } from './backoff.js';
import { KubernetesLifelongApi } from './kubernetes-lifelong-api.js';
import {
  resolveLeaderForLifeDurations,
  resolvePodLocation,
  type LeaderForLifeOptions,
} from './leader-for-life-options.js';
import { LeaderPodExaminer, type LeaderPodExaminerOptions } from './leader-pod-examiner.js';
import { statusCodeOf, type LifelongApi, type LockInfo, type PodInfo } from './lifelong-api.js';
import { LifelongLeadership } from './lifelong-leadership.js';
import { LifelongRequests } from './lifelong-requests.js';
import { EPOCH_ANNOTATION, epochOf, LockEpochs } from './lock-epoch.js';
import { LockWatch } from './lock-watch.js';

type State = 'idle' | 'running' | 'stopped';

/**
 * Leader-for-life election (operator-lib's `leader.Become`, done right): the leader's Pod owns a
 * lock ConfigMap, and the Pod leads until it is gone, when the garbage collector deletes the lock.
 * It acquires once, never renews and never steps down.
 *
 * - **Self-recognition by UID.** It finds its own Pod (`POD_NAME` in its namespace) and remembers
 *   the Pod's UID. A lock whose owner reference carries that UID is its own: a restarted process in
 *   the same Pod leads again at once. A lock owned by an earlier Pod of the same name (a
 *   StatefulSet) is not its own: its owner is gone, so it deletes it (below) and creates its own.
 * - **Followers watch.** A follower watches the lock (one watch, restarted from the last
 *   resourceVersion when quiet) and creates its own the moment the lock is deleted. Only while the
 *   watch is down does it poll the lock, with capped, jittered exponential backoff.
 * - **Leader Pod check** ({@link LeaderPodExaminer}). A follower also reads the leader's Pod (GET)
 *   on the same capped backoff schedule. A lock whose owner Pod is gone (or has another UID) is
 *   deleted, as the garbage collector would; a leader Pod in a terminal phase (`Failed` for any
 *   reason, `Succeeded`) is deleted so that the garbage collector frees the lock. With
 *   `forceTakeoverOnNotReadyNode` (opt-in, see its trade-off) a leader Pod whose Node has been seen
 *   not Ready for `notReadyGracePeriod` is deleted and the lock too, and the follower takes over.
 * - **Every delete carries a UID precondition; every failure backs off** (capped at exactly
 *   `maxBackoff`, jittered), a failed GET included.
 * - **Loss.** The term ends (its signal aborts, `leadership$` emits not-leading) only when the
 *   lock this Pod owns is deleted or replaced from under it; an unreachable API server is not a
 *   loss (no other Pod can acquire a lock that exists). After a loss the elector campaigns again
 *   (as a follower if another Pod took the lock), unless its own Pod is gone (`podNotFound`) or
 *   being deleted (then it waits, not leading, until stopped: no tug of war after a forced
 *   takeover). A Pod being deleted does not campaign at start either.
 * - **Epoch.** Each lock carries its epoch in {@link EPOCH_ANNOTATION}: one more than the highest
 *   epoch this replica observed on the lock name, and at least its wall-clock time in ms. Strictly
 *   increasing whenever the creator observed the previous lock (the usual takeover); derived from
 *   wall-clock time when it did not (see {@link LockEpochs} for exactly what holds).
 * - **Stop** (`run`'s signal aborts): the term's signal aborts first (leader-gated work stops, and
 *   `leadership$` emits not-leading), then `run` waits for work tracked by the term, at most
 *   `drainTimeout`, and resolves. The lock is kept: it is freed when the Pod goes. A drain that
 *   times out is logged at error level and reported on `errors$` (kind `drainTimeout`), naming the work.
 *
 * Errors: the constructor throws `LeaderElectionError` `invalidConfig`, `notInCluster`,
 * `noNamespace` or `noPodName`; `run` rejects with `podNotFound` when this Pod does not exist
 * (wrong `POD_NAME`, or the Pod was deleted). Everything else — 403 (`forbidden`, naming the verb
 * and resource to grant), other API errors (`apiError`), network failures, timeouts (`timeout`) — is
 * reported on `errors$` and retried with backoff, since RBAC and the API server can be fixed while
 * it waits.
 */
export class LeaderForLifeElector implements Elector {
  /** This Pod's name (what the lock's owner reference names; the UID is what is compared). */
  readonly identity: string;
  /** `configmap <namespace>/<lockName>`. */
  readonly lockDescription: string;
  readonly namespace: string;
  readonly lockName: string;
  readonly leadership$: Observable<Leadership>;
  /**
   * The name of the Pod that owns the lock, `undefined` while there is no lock. A Pod recreated
   * with the old name shows that name while the old Pod's lock lasts: compare `leadership$`, not
   * this, with `identity` to know whether this replica leads.
   */
  readonly leader$: Observable<string | undefined>;
  /**
   * Every failure that is being retried, as a typed error (`forbidden`, `timeout`, `apiError`), and
   * a drain that timed out on stop (`drainTimeout`). Hot; completes when `run` has resolved.
   */
  readonly errors$: Observable<LeaderElectionError>;

  private readonly api: LifelongApi;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;
  private readonly drainTimeout: number;
  private readonly requests: LifelongRequests;
  private readonly examinerOptions: LeaderPodExaminerOptions;
  private readonly epochs: LockEpochs;
  private readonly logger: Logger;
  private readonly leadership: LifelongLeadership;
  private state: State = 'idle';
  private podUid: string | undefined;
  /** Watches being closed in the background (so that a takeover need not wait for a socket). */
  private readonly closing = new Set<Promise<void>>();

  /**
   * Resolves the namespace and Pod name at once (see the class comment for the errors thrown); makes
   * no request before `run`.
   */
  constructor(options: LeaderForLifeOptions) {
    const { namespace, podName } = resolvePodLocation(options);
    const where = `configmap ${namespace}/${options.lockName}`;
    const { initialBackoff, maxBackoff, drainTimeout, requestTimeout, notReadyGracePeriod } =
      resolveLeaderForLifeDurations(options, where);
    this.namespace = namespace;
    this.lockName = options.lockName;
    this.identity = podName;
    this.lockDescription = where;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.drainTimeout = drainTimeout;
    this.epochs = new LockEpochs(() => wallTime(this.clock).getTime());
    this.logger = safeLogger(options.logger ?? quietLogger);
    this.leadership = new LifelongLeadership({
      identity: podName,
      lockDescription: where,
      clock: this.clock,
      logger: this.logger,
      metrics: new LeaderElectionMetrics(options.lockName, options.registry),
      events: options.eventRecorder,
      eventTimeout: drainTimeout,
    });
    this.api = options.api ?? new KubernetesLifelongApi(options.kubeConfig ?? defaultKubeConfig());
    this.requests = new LifelongRequests({
      clock: this.clock,
      requestTimeout,
      lockDescription: where,
      namespace,
      logger: this.logger,
      onError: (error) => {
        this.leadership.reportError(error);
      },
    });
    this.examinerOptions = {
      api: this.api,
      clock: this.clock,
      requests: this.requests,
      logger: this.logger,
      namespace,
      lockName: options.lockName,
      lockDescription: where,
      forceTakeoverOnNotReadyNode: options.forceTakeoverOnNotReadyNode ?? false,
      notReadyGracePeriod,
    };
    this.leadership$ = this.leadership.leadership$;
    this.leader$ = this.leadership.leader$;
    this.errors$ = this.leadership.errors$;
  }

  /**
   * Finds this Pod, then campaigns, leads and follows until `signal` aborts. On abort it stops in
   * the lease elector's order: it ends the term (its signal aborts with a `stopped` error and
   * `leadership$` emits not-leading), waits for work tracked by the term (at most `drainTimeout`;
   * on a timeout it logs an error and emits a `drainTimeout` error on `errors$`, naming the work), and
   * meanwhile stops its watches and requests; then it completes the observables and resolves. The
   * lock is kept: it is freed when the Pod goes away. Rejects with `podNotFound` when this Pod does
   * not exist, or `invalidConfig` when called twice.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.state !== 'idle') {
      throw new LeaderElectionError(
        'invalidConfig',
        `${this.lockDescription}: run() may be called only once`,
      );
    }
    this.state = 'running';
    this.requests.stopOn(signal);
    try {
      await this.campaign(signal);
    } catch (error) {
      if (!signal.aborted || LeaderElectionError.is(error, 'podNotFound')) throw error;
    } finally {
      await this.stop();
    }
  }

  /** The stop sequence of `run`: end the term, drain (bounded), close, complete. */
  private async stop(): Promise<void> {
    const term = this.leadership.end(
      new LeaderElectionError('stopped', `${this.lockDescription}: elector stopped`),
    );
    if (term !== undefined) {
      const drained = await term.drain(this.drainTimeout);
      if (drained.timedOut) this.reportDrainTimeout(drained.pending);
    }
    await Promise.all([...this.closing]);
    await this.leadership.close();
    this.state = 'stopped';
    this.logger.info({ lock: this.lockDescription, identity: this.identity }, 'leader election stopped');
  }

  private reportDrainTimeout(pending: readonly string[]): void {
    const error = new LeaderElectionError(
      'drainTimeout',
      `${this.lockDescription}: work of the ended term did not finish within drainTimeout (${this.drainTimeout} ms) ` +
        `after the elector stopped: ${pending.join(', ')}; it may still be running (this Pod keeps the lock)`,
    );
    this.logger.error({ lock: this.lockDescription, identity: this.identity, pending }, error.message);
    this.leadership.reportError(error);
  }

  whenLeading(signal?: AbortSignal): Promise<Term> {
    return this.leadership.whenLeading(signal);
  }

  currentTerm(): Term | undefined {
    return this.leadership.term;
  }

  currentLeader(): string | undefined {
    return this.leadership.leader;
  }

  /**
   * Always true: leader-for-life has no watchdog. Its term does not decay with time (it never
   * renews: nobody else can acquire a lock that exists and is owned by this Pod), so a leader that
   * cannot reach the API server still leads, and being restarted would not help anyone. The one
   * way another replica can lead meanwhile — a forced takeover after `notReadyGracePeriod` — is
   * decided by the followers' options, which this replica does not know.
   */
  healthy(): boolean {
    return true;
  }

  /** Never throws (see {@link LeaderForLifeElector.healthy}). */
  checkHealth(): void {
    // Nothing to check.
  }

  private async campaign(signal: AbortSignal): Promise<void> {
    let checkOwnPod = true;
    const backoff = this.newBackoff();
    while (!signal.aborted) {
      if (checkOwnPod) {
        // Before every attempt to create the lock (at start, after a loss, once the lock it
        // followed is gone): campaign only while this Pod exists, with its UID, and is not being
        // deleted. A process whose Pod was force-deleted must not create a lock owned by a Pod
        // that no longer exists: a peer (or GC) would delete that lock while it leads.
        const self = await this.findOwnPod(signal);
        this.podUid = self.uid;
        if (self.terminating) {
          await this.standAside(signal);
          return;
        }
        checkOwnPod = false;
      }
      let lock: LockInfo | undefined;
      try {
        lock = await this.acquireOrRead();
      } catch (error) {
        if (isAborted(signal)) return;
        this.requests.report(error);
        await this.clock.sleep(backoff.next(), signal);
        continue;
      }
      backoff.reset();
      this.requests.recovered();
      if (lock === undefined) {
        checkOwnPod = true; // deleted between our create and our read: check ourselves, create again
        continue;
      }
      this.observe(lock);
      if (lock.owner?.uid === this.podUid) {
        await this.lead(lock, signal);
        checkOwnPod = !signal.aborted;
      } else {
        await this.follow(lock, signal);
        checkOwnPod = !signal.aborted;
      }
    }
  }

  /**
   * This Pod is being deleted: it must not lead (again), or a forced takeover would turn into a
   * tug of war with the Pod that took over. Waits, not leading, until `run` stops.
   */
  private async standAside(signal: AbortSignal): Promise<void> {
    this.logger.warn(
      { lock: this.lockDescription, identity: this.identity },
      `pod ${this.namespace}/${this.identity} is being deleted: not campaigning for ${this.lockDescription}`,
    );
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else
        signal.addEventListener(
          'abort',
          () => {
            resolve();
          },
          { once: true },
        );
    });
  }

  /** Reads this Pod, retrying failures; throws `podNotFound` on 404 or when it has another UID. */
  private async findOwnPod(signal: AbortSignal): Promise<PodInfo> {
    const backoff = this.newBackoff();
    for (;;) {
      try {
        const pod = await this.requests.request((bounded) =>
          this.api.getPod(this.namespace, this.identity, bounded),
        );
        if (this.podUid === undefined || pod.uid === this.podUid) {
          this.requests.recovered();
          return pod;
        }
        throw new LeaderElectionError(
          'podNotFound',
          `${this.lockDescription}: pod ${this.namespace}/${this.identity} was replaced (UID ${this.podUid} is gone); this process must not lead`,
        );
      } catch (error) {
        if (LeaderElectionError.is(error)) throw error;
        if (statusCodeOf(error) === 404) {
          throw new LeaderElectionError(
            'podNotFound',
            `${this.lockDescription}: pod ${this.namespace}/${this.identity} not found; POD_NAME must be this Pod's ` +
              'name (downward API fieldPath: metadata.name) and the namespace its namespace',
            { cause: error },
          );
        }
        if (signal.aborted) throw error;
        this.requests.report(this.requests.wrap(error, 'get', 'pods', this.identity));
        await this.clock.sleep(backoff.next(), signal);
      }
    }
  }

  /** Creates our lock, or reads the existing one; `undefined` if it vanished in between. */
  private async acquireOrRead(): Promise<LockInfo | undefined> {
    const uid = this.podUid ?? '';
    try {
      const annotations = { [EPOCH_ANNOTATION]: String(this.epochs.next()) };
      return await this.requests.request((bounded) =>
        this.api.createConfigMap(
          this.namespace,
          this.lockName,
          { name: this.identity, uid },
          annotations,
          bounded,
        ),
      );
    } catch (error) {
      if (statusCodeOf(error) !== 409) throw this.requests.wrap(error, 'create', 'configmaps', this.lockName);
    }
    try {
      return await this.requests.request((bounded) =>
        this.api.getConfigMap(this.namespace, this.lockName, bounded),
      );
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw this.requests.wrap(error, 'get', 'configmaps', this.lockName);
    }
  }

  private async lead(lock: LockInfo, signal: AbortSignal): Promise<void> {
    this.leadership.begin(epochOf(lock) ?? this.epochs.next());
    const watch = this.newLockWatch(lock);
    try {
      while (!watch.gone) await watch.waitGone(this.maxBackoff, signal);
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      this.release(watch);
    }
    if (watch.gone) {
      this.leadership.end(
        new LeaderElectionError(
          'lost',
          `${this.lockDescription}: the lock owned by pod ${this.identity} was deleted or replaced; leadership lost`,
        ),
      );
    }
  }

  private async follow(lock: LockInfo, signal: AbortSignal): Promise<void> {
    const watch = this.newLockWatch(lock);
    const backoff = this.newBackoff();
    const examiner = new LeaderPodExaminer(this.examinerOptions);
    try {
      while (!watch.gone && !signal.aborted) {
        let recheckWithin = Infinity;
        try {
          const examination = await examiner.examine(lock);
          this.requests.recovered();
          if (examination.lockDeleted) return;
          recheckWithin = examination.recheckWithin ?? Infinity;
        } catch (error) {
          if (isAborted(signal)) return;
          this.requests.report(error);
        }
        await watch.waitGone(Math.min(backoff.next(), recheckWithin), signal);
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      this.release(watch);
    }
  }

  /** Stops a lock watch without waiting; `run` waits for it before it resolves. */
  private release(watch: LockWatch): void {
    const closed = watch
      .stop()
      .catch((error: unknown) => {
        this.logger.error({ lock: this.lockDescription, err: error }, 'a lock watch failed to stop');
      })
      .finally(() => this.closing.delete(closed));
    this.closing.add(closed);
  }

  private newLockWatch(lock: LockInfo): LockWatch {
    return new LockWatch(
      {
        api: this.api,
        clock: this.clock,
        namespace: this.namespace,
        name: this.lockName,
        newBackoff: () => this.newBackoff(),
        request: (work, signal) => this.requests.request(work, signal),
        onError: (error, verb) => {
          this.requests.report(this.requests.wrap(error, verb, 'configmaps', this.lockName));
        },
        onHealthy: () => {
          this.requests.recovered();
        },
        onLock: (observed) => {
          this.observe(observed);
        },
        onSeen: (seen) => {
          this.epochs.observe(seen);
        },
      },
      lock,
    );
  }

  /** The lock's current state (`undefined`: deleted), as read or watched. */
  private observe(lock: LockInfo | undefined): void {
    if (lock !== undefined) this.epochs.observe(lock);
    this.leadership.observeLeader(lock?.owner?.name);
  }

  private newBackoff(): Backoff {
    return new Backoff(this.initialBackoff, this.maxBackoff, this.random);
  }
}

/**
 * Creates a {@link LeaderForLifeElector} (for the CLI's `--lock leader-for-life`). Throws like its
 * constructor.
 */
export function createLeaderForLifeElector(options: LeaderForLifeOptions): LeaderForLifeElector {
  return new LeaderForLifeElector(options);
}

function defaultKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

/** Reads `signal.aborted` afresh (after an await), out of reach of the compiler's narrowing. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
