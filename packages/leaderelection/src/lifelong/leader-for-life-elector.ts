import { KubeConfig } from '@kubernetes/client-node';
import { BehaviorSubject, distinctUntilChanged, Subject, filter, take, type Observable } from 'rxjs';
import { systemClock, type Clock } from '../clock.js';
import { deadlineSignal } from '../election/deadline-signal.js';
import type { Elector, Leadership, Term } from '../election/elector.js';
import { LeaderElectionError } from '../leader-election-error.js';
import { quietLogger, type Logger } from '../logger.js';
import type { ElectionEvent, EventRecorder } from '../observability/event-recorder.js';
import { LeaderElectionMetrics } from '../observability/leader-election-metrics.js';
import { Backoff } from './backoff.js';
import { KubernetesLifelongApi } from './kubernetes-lifelong-api.js';
import { resolvePodLocation, type LeaderForLifeOptions } from './leader-for-life-options.js';
import { LeaderForLifeTerm } from './leader-for-life-term.js';
import { statusCodeOf, type LifelongApi, type LockInfo, type PodInfo } from './lifelong-api.js';
import { LockWatch } from './lock-watch.js';

/** Annotation on the lock holding the term's epoch (one more than the last lock seen). */
export const EPOCH_ANNOTATION = 'leaderelection.kubekit.io/epoch';

type Verb = 'get' | 'create' | 'delete' | 'watch';
type Resource = 'pods' | 'configmaps' | 'nodes';
type State = 'idle' | 'running' | 'stopped';

/**
 * Leader-for-life election (operator-lib's `leader.Become`, done right): the leader's Pod owns a
 * lock ConfigMap, and the Pod leads until it is gone, when the garbage collector deletes the lock.
 * It acquires once, never renews and never steps down.
 *
 * - **Self-recognition by UID.** It finds its own Pod (`POD_NAME` in its namespace) and remembers
 *   the Pod's UID. A lock whose owner reference carries that UID is its own: a restarted process in
 *   the same Pod leads again at once. A new Pod with the old Pod's name (a StatefulSet) has another
 *   UID and waits for the garbage collector to delete the old Pod's lock.
 * - **Followers watch.** A follower watches the lock (one watch, restarted from the last
 *   resourceVersion when quiet) and creates its own the moment the lock is deleted. Only while the
 *   watch is down does it poll the lock, with capped, jittered exponential backoff.
 * - **Leader Pod check.** A follower also reads the leader's Pod (GET) on the same capped backoff
 *   schedule. A leader Pod that is `Failed` with reason `Evicted` or `Preempting`, or `Succeeded`,
 *   has no running container: the follower deletes it (UID precondition) so that the garbage
 *   collector frees the lock. With `forceTakeoverOnNotReadyNode` (opt-in, see its trade-off) a
 *   leader Pod on a not-Ready Node is deleted and the lock too (UID preconditions), and the
 *   follower takes over.
 * - **Every delete carries a UID precondition; every failure backs off** (capped at exactly
 *   `maxBackoff`, jittered), a failed GET included.
 * - **Loss.** The term ends (its signal aborts, `leadership$` emits not-leading) only when the
 *   lock this Pod owns is deleted or replaced from under it; an unreachable API server is not a
 *   loss (no other Pod can acquire a lock that exists). After a loss the elector campaigns again
 *   (as a follower if another Pod took the lock), unless its own Pod is gone (`podNotFound`) or
 *   being deleted (then it waits, not leading, until stopped: no tug of war after a forced
 *   takeover). A Pod being deleted does not campaign at start either.
 * - **Epoch.** Each lock carries an annotation with its epoch: one more than the highest epoch this
 *   replica has seen on the lock (1 for a first lock). Terms of one lock cannot overlap anyway.
 *
 * Errors: the constructor throws `LeaderElectionError` `invalidConfig`, `notInCluster`,
 * `noNamespace` or `noPodName`; `run` rejects with `podNotFound` when this Pod does not exist
 * (wrong `POD_NAME`, or the Pod was deleted). Everything else — 403 (`forbidden`, naming the verb
 * and resource to grant), other API errors (`apiError`), network failures — is reported on
 * `errors$` and retried with backoff, since RBAC and the API server can be fixed while it waits.
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
  /** Every failure that is being retried, as a typed error (`forbidden`, `timeout`, `apiError`). Hot. */
  readonly errors$: Observable<LeaderElectionError>;

  private readonly api: LifelongApi;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;
  private readonly forceTakeover: boolean;
  private readonly drainTimeout: number;
  private readonly requestTimeout: number;
  /** `run`'s signal: every request is abandoned when it aborts. */
  private runSignal: AbortSignal = new AbortController().signal;
  private readonly logger: Logger;
  private readonly metrics: LeaderElectionMetrics;
  private readonly events: EventRecorder | undefined;
  private readonly pendingEvents = new Set<Promise<void>>();
  /** The message of the failure condition logged last, until it recovers. */
  private failing: string | undefined;
  private readonly leadershipSubject = new BehaviorSubject<Leadership>({ leading: false });
  private readonly leaderSubject = new BehaviorSubject<string | undefined>(undefined);
  private readonly errorsSubject = new Subject<LeaderElectionError>();
  private state: State = 'idle';
  private podUid: string | undefined;
  private term: LeaderForLifeTerm | undefined;
  private highestEpochSeen = 0;
  /** Watches being closed in the background (so that a takeover need not wait for a socket). */
  private readonly closing = new Set<Promise<void>>();

  /**
   * Resolves the namespace and Pod name at once (see the class comment for the errors thrown); makes
   * no request before `run`.
   */
  constructor(options: LeaderForLifeOptions) {
    const { namespace, podName } = resolvePodLocation(options);
    const initial = options.initialBackoff ?? 1000;
    const max = options.maxBackoff ?? 16_000;
    if (!(initial > 0) || !(max >= initial) || !Number.isFinite(max)) {
      throw new LeaderElectionError(
        'invalidConfig',
        `configmap ${namespace}/${options.lockName}: need 0 < initialBackoff (${initial}) <= maxBackoff (${max}) < Infinity`,
      );
    }
    const drain = options.drainTimeout ?? 10_000;
    const requestTimeout = options.requestTimeout ?? 10_000;
    if (!(drain >= 0) || !(requestTimeout > 0)) {
      throw new LeaderElectionError(
        'invalidConfig',
        `configmap ${namespace}/${options.lockName}: need drainTimeout (${drain}) >= 0 and requestTimeout (${requestTimeout}) > 0`,
      );
    }
    this.namespace = namespace;
    this.lockName = options.lockName;
    this.identity = podName;
    this.lockDescription = `configmap ${namespace}/${options.lockName}`;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.initialBackoff = initial;
    this.maxBackoff = max;
    this.forceTakeover = options.forceTakeoverOnNotReadyNode ?? false;
    this.drainTimeout = drain;
    this.requestTimeout = requestTimeout;
    this.logger = options.logger ?? quietLogger;
    this.metrics = new LeaderElectionMetrics(options.lockName, options.registry);
    this.events = options.eventRecorder;
    this.api = options.api ?? new KubernetesLifelongApi(options.kubeConfig ?? defaultKubeConfig());
    this.leadership$ = this.leadershipSubject.pipe(distinctUntilChanged());
    this.leader$ = this.leaderSubject.pipe(distinctUntilChanged());
    this.errors$ = this.errorsSubject.asObservable();
  }

  /**
   * Finds this Pod, then campaigns, leads and follows until `signal` aborts. On abort it stops its
   * watches and timers, waits for work tracked by the current term (up to `drainTimeout`), ends
   * the term (its signal aborts with a `stopped` error) — the lock is kept: it is freed when the Pod
   * goes away — completes the observables and resolves. Rejects with `podNotFound` when this Pod
   * does not exist, or `invalidConfig` when called twice.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.state !== 'idle') {
      throw new LeaderElectionError(
        'invalidConfig',
        `${this.lockDescription}: run() may be called only once`,
      );
    }
    this.state = 'running';
    this.runSignal = signal;
    try {
      await this.campaign(signal);
    } catch (error) {
      if (!signal.aborted || LeaderElectionError.is(error, 'podNotFound')) throw error;
    } finally {
      await Promise.all([...this.closing]);
      const term = this.term;
      if (term !== undefined) {
        await term.drain(this.drainTimeout);
        this.endTerm(new LeaderElectionError('stopped', `${this.lockDescription}: elector stopped`));
      }
      this.metrics.leading(false);
      await Promise.all([...this.pendingEvents]);
      this.state = 'stopped';
      this.logger.info({ lock: this.lockDescription, identity: this.identity }, 'leader election stopped');
      this.leadershipSubject.complete();
      this.leaderSubject.complete();
      this.errorsSubject.complete();
    }
  }

  whenLeading(signal?: AbortSignal): Promise<Term> {
    return new Promise<Term>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason as Error);
        return;
      }
      const state = { settled: false };
      const onAbort = (): void => {
        state.settled = true;
        subscription.unsubscribe();
        reject(signal?.reason as Error);
      };
      const subscription = this.leadershipSubject
        .pipe(
          filter((value) => value.leading),
          take(1),
        )
        .subscribe({
          next: (value) => {
            state.settled = true;
            signal?.removeEventListener('abort', onAbort);
            resolve(value.term);
          },
          complete: () => {
            if (state.settled) return;
            state.settled = true;
            signal?.removeEventListener('abort', onAbort);
            reject(
              new LeaderElectionError('stopped', `${this.lockDescription}: elector stopped before leading`),
            );
          },
        });
      if (!state.settled) signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  currentTerm(): Term | undefined {
    return this.term;
  }

  currentLeader(): string | undefined {
    return this.leaderSubject.value;
  }

  /** Leader-for-life never renews, so nothing can go stale: always true. */
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
        // At start and after a loss: campaign only while this Pod exists and is not being deleted.
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
        this.report(error);
        await this.clock.sleep(backoff.next(), signal);
        continue;
      }
      backoff.reset();
      this.recovered();
      if (lock === undefined) continue; // deleted between our create and our read: create again
      this.observe(lock);
      if (lock.owner?.uid === this.podUid) {
        await this.lead(lock, signal);
        checkOwnPod = !signal.aborted;
      } else {
        await this.follow(lock, signal);
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
        const pod = await this.request((bounded) => this.api.getPod(this.namespace, this.identity, bounded));
        if (this.podUid === undefined || pod.uid === this.podUid) {
          this.recovered();
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
        this.report(this.wrap(error, 'get', 'pods', this.identity));
        await this.clock.sleep(backoff.next(), signal);
      }
    }
  }

  /** Creates our lock, or reads the existing one; `undefined` if it vanished in between. */
  private async acquireOrRead(): Promise<LockInfo | undefined> {
    const uid = this.podUid ?? '';
    try {
      const annotations = { [EPOCH_ANNOTATION]: String(this.highestEpochSeen + 1) };
      return await this.request((bounded) =>
        this.api.createConfigMap(
          this.namespace,
          this.lockName,
          { name: this.identity, uid },
          annotations,
          bounded,
        ),
      );
    } catch (error) {
      if (statusCodeOf(error) !== 409) throw this.wrap(error, 'create', 'configmaps', this.lockName);
    }
    try {
      return await this.request((bounded) => this.api.getConfigMap(this.namespace, this.lockName, bounded));
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw this.wrap(error, 'get', 'configmaps', this.lockName);
    }
  }

  private async lead(lock: LockInfo, signal: AbortSignal): Promise<void> {
    const epoch = epochOf(lock) ?? this.highestEpochSeen + 1;
    const term = new LeaderForLifeTerm(this.identity, epoch, this.clock);
    this.term = term;
    this.metrics.leading(true);
    this.metrics.transition('acquired');
    this.logger.info(
      { lock: this.lockDescription, identity: this.identity, epoch },
      `${this.identity} became leader`,
    );
    this.leadershipSubject.next({ leading: true, term });
    this.recordEvent({ type: 'Normal', reason: 'LeaderElection', message: `${this.identity} became leader` });
    const watch = this.newLockWatch(lock);
    try {
      while (!watch.gone) await watch.waitGone(this.maxBackoff, signal);
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      this.release(watch);
    }
    if (watch.gone) {
      this.endTerm(
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
    try {
      while (!watch.gone && !signal.aborted) {
        let takenOver = false;
        try {
          takenOver = await this.examineLeader(lock);
          this.recovered();
        } catch (error) {
          if (isAborted(signal)) return;
          this.report(error);
        }
        if (takenOver) return;
        await watch.waitGone(backoff.next(), signal);
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      this.release(watch);
    }
  }

  /**
   * Looks at the leader's Pod: deletes it when it has terminated; with forced takeover, deletes it
   * and the lock when its Node is not Ready. Returns true when it deleted the lock.
   */
  private async examineLeader(lock: LockInfo): Promise<boolean> {
    const owner = lock.owner;
    if (owner === undefined) return false; // not a Pod-owned lock: only its deletion frees it
    let pod: PodInfo;
    try {
      pod = await this.request((bounded) => this.api.getPod(this.namespace, owner.name, bounded));
    } catch (error) {
      if (statusCodeOf(error) === 404) return false; // owner gone: the garbage collector frees the lock
      throw this.wrap(error, 'get', 'pods', owner.name);
    }
    if (pod.uid !== owner.uid) return false; // a new Pod with the old name: the old owner is gone
    if (hasTerminated(pod)) {
      // Deleted once is enough: then the garbage collector frees the lock when the Pod is gone.
      if (!pod.terminating) await this.deleteWithUid('pods', pod.name, pod.uid);
      return false;
    }
    if (!this.forceTakeover || pod.nodeName === undefined) return false;
    let ready: string;
    try {
      const nodeName = pod.nodeName;
      ready = (await this.request((bounded) => this.api.getNode(nodeName, bounded))).ready;
    } catch (error) {
      if (statusCodeOf(error) !== 404) throw this.wrap(error, 'get', 'nodes', pod.nodeName);
      ready = 'Unknown';
    }
    if (ready === 'True') return false;
    await this.deleteWithUid('pods', pod.name, pod.uid);
    await this.deleteWithUid('configmaps', this.lockName, lock.uid);
    return true;
  }

  /** Deletes with a UID precondition; "already gone" and "now another object" are both fine. */
  private async deleteWithUid(resource: 'pods' | 'configmaps', name: string, uid: string): Promise<void> {
    try {
      await this.request((bounded) =>
        resource === 'pods'
          ? this.api.deletePod(this.namespace, name, uid, bounded)
          : this.api.deleteConfigMap(this.namespace, name, uid, bounded),
      );
    } catch (error) {
      const code = statusCodeOf(error);
      if (code !== 404 && code !== 409) throw this.wrap(error, 'delete', resource, name);
    }
  }

  /**
   * Runs one API request under a signal that aborts when `parent` (default: `run`'s signal) aborts
   * or after `requestTimeout`, with a `timeout` error; leaves no timer behind.
   */
  private async request<T>(work: (signal: AbortSignal) => Promise<T>, parent = this.runSignal): Promise<T> {
    using deadline = deadlineSignal(
      this.clock,
      this.requestTimeout,
      [parent],
      `${this.lockDescription}: an API request got no answer within ${this.requestTimeout} ms; retrying`,
    );
    try {
      return await work(deadline.signal);
    } catch (error) {
      // client-node may reject with a generic abort error: report the timeout instead.
      if (deadline.signal.aborted && !parent.aborted) throw deadline.signal.reason as Error;
      throw error;
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
        request: (work, signal) => this.request(work, signal),
        onError: (error, verb) => {
          this.report(this.wrap(error, verb, 'configmaps', this.lockName));
        },
        onHealthy: () => {
          this.recovered();
        },
        onLock: (observed) => {
          this.observe(observed);
        },
      },
      lock,
    );
  }

  private observe(lock: LockInfo | undefined): void {
    if (lock !== undefined) this.highestEpochSeen = Math.max(this.highestEpochSeen, epochOf(lock) ?? 0);
    this.leaderSubject.next(lock?.owner?.name);
  }

  private endTerm(reason: LeaderElectionError): void {
    const term = this.term;
    if (term === undefined) return;
    this.term = undefined;
    term.end(reason);
    const lost = reason.kind === 'lost';
    this.metrics.leading(false);
    if (lost) {
      this.metrics.transition('lost');
      this.logger.warn(
        { lock: this.lockDescription, identity: this.identity, epoch: term.epoch },
        reason.message,
      );
    }
    this.leadershipSubject.next({ leading: false });
    this.recordEvent({
      type: lost ? 'Warning' : 'Normal',
      reason: 'LeaderElection',
      message: `${this.identity} stopped leading: ${lost ? 'the lock was deleted or taken' : 'stopped'}`,
    });
  }

  /** Sends an Event, fire-and-forget, bounded by `drainTimeout`; `run` waits for it. */
  private recordEvent(event: ElectionEvent): void {
    const recorder = this.events;
    if (recorder === undefined) return;
    const deadline = deadlineSignal(
      this.clock,
      this.drainTimeout,
      [],
      `${this.lockDescription}: event timed out`,
    );
    const pending: Promise<void> = recorder
      .record(event, deadline.signal)
      .catch((error: unknown) => {
        this.logger.debug({ lock: this.lockDescription, err: error }, 'could not record an Event (ignored)');
      })
      .finally(() => {
        deadline[Symbol.dispose]();
        this.pendingEvents.delete(pending);
      });
    this.pendingEvents.add(pending);
  }

  /** A request succeeded: log the end of a logged failure condition. */
  private recovered(): void {
    if (this.failing === undefined) return;
    this.logger.info({ lock: this.lockDescription, previously: this.failing }, 'API requests succeed again');
    this.failing = undefined;
  }

  private newBackoff(): Backoff {
    return new Backoff(this.initialBackoff, this.maxBackoff, this.random);
  }

  private report(error: unknown): void {
    const typed = LeaderElectionError.is(error)
      ? error
      : new LeaderElectionError('apiError', `${this.lockDescription}: ${String(error)}`, { cause: error });
    if (typed.message !== this.failing) {
      this.failing = typed.message;
      this.logger.warn({ lock: this.lockDescription, kind: typed.kind, err: typed }, typed.message);
    }
    this.errorsSubject.next(typed);
  }

  private wrap(error: unknown, verb: Verb, resource: Resource, name: string): LeaderElectionError {
    if (LeaderElectionError.is(error)) return error;
    const code = statusCodeOf(error);
    const where = resource === 'nodes' ? '' : ` in namespace ${this.namespace}`;
    if (code === 403) {
      return new LeaderElectionError(
        'forbidden',
        `${this.lockDescription}: forbidden to ${verb} ${resource} "${name}"${where}: grant the Pod's service account ` +
          `verb "${verb}" on resource "${resource}" (apiGroup "")${resource === 'nodes' ? ' in a ClusterRole' : ''}; retrying`,
        { cause: error, statusCode: code },
      );
    }
    const detail = error instanceof Error ? error.message : String(error);
    return new LeaderElectionError(
      'apiError',
      `${this.lockDescription}: ${verb} ${resource} "${name}" failed${code === undefined ? '' : ` (${code})`}: ${detail}; retrying`,
      code === undefined ? { cause: error } : { cause: error, statusCode: code },
    );
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

function hasTerminated(pod: PodInfo): boolean {
  return (
    pod.phase === 'Succeeded' ||
    (pod.phase === 'Failed' && (pod.reason === 'Evicted' || pod.reason === 'Preempting'))
  );
}

function epochOf(lock: LockInfo): number | undefined {
  const value = Number(lock.annotations[EPOCH_ANNOTATION]);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** Reads `signal.aborted` afresh (after an await), out of reach of the compiler's narrowing. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
