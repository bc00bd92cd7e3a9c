import { LeaderElectionError } from '@kubekit/leaderelection';
import type {
  LeaderElectionRecord,
  Lock,
  LockSnapshot,
  LockWatchEvent,
  LockWatchHandlers,
} from '@kubekit/leaderelection';
import type { Prng } from './prng.js';
import type { SimProcess } from './sim-process.js';
import type { VirtualScheduler } from './virtual-scheduler.js';

/** How the network and the API server treat one candidate's requests right now (mutable). */
export interface NetworkConditions {
  /** Requests and watch events vanish (`blackhole`) or are refused at once (`refuse`). */
  partition: 'none' | 'blackhole' | 'refuse';
  /** One-way latency in true ms, drawn per leg. */
  latency: () => number;
  /** Probability that a response is lost after the server applied the request. */
  lossRate: number;
  /** Probability that the server answers 5xx/429 without applying the request. */
  errorRate: number;
  /** Probability that a request is applied twice (a retrying proxy): the second answer is dropped. */
  duplicateRate: number;
  /** Probability that a watch event is delivered twice. */
  duplicateEventRate: number;
  /** Watch events take independent latencies (so may be reordered) instead of arriving in order. */
  reorderWatch: boolean;
  /**
   * Extra true ms before a read's answer arrives, after the server has answered it: the answer is
   * stale by then (a slow proxy or a congested connection), while watch events keep flowing.
   */
  staleReads: number;
  /**
   * Extra true ms before each watch event arrives (in order), while requests answer as usual: a
   * slow watch path (the API server's watch cache behind, a congested stream).
   */
  watchDelay: number;
  /**
   * The fraction of watch events lost while the stream stays up (no error, no end): a follower
   * learns what it missed only from the next event, a read after a conflict, or a poll.
   */
  watchLossRate: number;
  /**
   * The probability that a write's connection breaks once the server has it (it applies it, or not:
   * even odds) and the transport sends it again: the repeat's answer comes (a 409, marked `resent`,
   * when the first attempt landed).
   */
  resendRate: number;
}

export function healthyNetwork(latency: () => number): NetworkConditions {
  return {
    partition: 'none',
    latency,
    lossRate: 0,
    errorRate: 0,
    duplicateRate: 0,
    duplicateEventRate: 0,
    reorderWatch: false,
    staleReads: 0,
    watchDelay: 0,
    watchLossRate: 0,
    resendRate: 0,
  };
}

/** The lock object as the simulated API server stores it. */
interface StoredObject {
  readonly resourceVersion: string;
  readonly record: LeaderElectionRecord | undefined;
}

interface Change {
  readonly resourceVersion: string;
  readonly object: StoredObject | undefined;
}

interface Stream {
  push(change: Change): void;
  end(error?: Error): void;
}

/** Counts of what the store served, for assertions. */
export interface StoreCounters {
  get: number;
  create: number;
  update: number;
  watch: number;
  conflicts: number;
}

/**
 * The simulated API server for one lock object: resourceVersions, compare-and-swap, watch streams
 * with history (410 when too old), and the faults a test injects through each candidate's
 * {@link NetworkConditions}. True time comes from the scheduler.
 */
export class SimLockStore {
  private object: StoredObject | undefined;
  private readonly history: Change[] = [];
  private nextVersion = 1;
  private readonly streams = new Set<Stream>();
  readonly counters: StoreCounters = { get: 0, create: 0, update: 0, watch: 0, conflicts: 0 };
  /** The latest true time at which any message scheduled so far arrives (requests, answers, events). */
  latestDelivery = 0;

  constructor(
    readonly scheduler: VirtualScheduler,
    private readonly historyLimit = 50,
  ) {}

  snapshot(): LockSnapshot | undefined {
    return this.object === undefined ? undefined : { ...this.object };
  }

  /** Sets the object directly (initial state, rogue writers): bumps the resourceVersion. */
  put(record: LeaderElectionRecord | undefined): LockSnapshot {
    return this.write(record);
  }

  /** Rewrites the object unchanged with a new resourceVersion (someone touching it): conflicts for everyone. */
  touch(): void {
    if (this.object !== undefined) this.write(this.object.record);
  }

  /** True times at which the object was deleted. */
  readonly deletions: number[] = [];

  delete(): void {
    if (this.object === undefined) return;
    this.deletions.push(this.scheduler.now);
    this.object = undefined;
    this.publish({ resourceVersion: String(this.nextVersion++), object: undefined });
  }

  /** Ends every open watch stream, quietly or with an error. */
  dropWatches(error?: Error): number {
    const streams = [...this.streams];
    for (const stream of streams) stream.end(error);
    return streams.length;
  }

  /** Notes that a message will arrive at true time `time`. */
  noteDelivery(time: number): number {
    this.latestDelivery = Math.max(this.latestDelivery, time);
    return time;
  }

  serveGet(): LockSnapshot | undefined {
    this.counters.get++;
    return this.snapshot();
  }

  serveCreate(record: LeaderElectionRecord): LockSnapshot | 'conflict' {
    this.counters.create++;
    if (this.object !== undefined) {
      this.counters.conflicts++;
      return 'conflict';
    }
    return this.write(record);
  }

  serveUpdate(record: LeaderElectionRecord, resourceVersion: string): LockSnapshot | 'conflict' {
    this.counters.update++;
    if (this.object?.resourceVersion !== resourceVersion) {
      this.counters.conflicts++;
      return 'conflict';
    }
    // As kube-apiserver: an update that changes nothing is a no-op (same resourceVersion, no event).
    if (JSON.stringify(this.object.record) === JSON.stringify(record)) return this.snapshot()!;
    return this.write(record);
  }

  /** Opens a stream from `resourceVersion` (current state first when undefined); `expired` when too old. */
  openStream(resourceVersion: string | undefined, stream: Stream): 'expired' | 'open' {
    this.counters.watch++;
    if (resourceVersion === undefined) {
      if (this.object !== undefined)
        stream.push({ resourceVersion: this.object.resourceVersion, object: this.object });
    } else {
      const index = this.history.findIndex((change) => change.resourceVersion === resourceVersion);
      if (index < 0) return 'expired';
      for (const change of this.history.slice(index + 1)) stream.push(change);
    }
    this.streams.add(stream);
    return 'open';
  }

  /** How many watch streams are open now. */
  get openWatches(): number {
    return this.streams.size;
  }

  closeStream(stream: Stream): void {
    this.streams.delete(stream);
  }

  private write(record: LeaderElectionRecord | undefined): LockSnapshot {
    const object: StoredObject = { resourceVersion: String(this.nextVersion++), record };
    this.object = object;
    this.publish({ resourceVersion: object.resourceVersion, object });
    return { ...object };
  }

  private publish(change: Change): void {
    this.history.push(change);
    if (this.history.length > this.historyLimit) this.history.shift();
    for (const stream of this.streams) stream.push(change);
  }
}

function apiError(code: number): LeaderElectionError {
  return new LeaderElectionError(
    'apiError',
    code === 429 ? 'simulated throttling (429)' : `simulated server error (${code})`,
    {
      statusCode: code,
    },
  );
}

/**
 * One candidate's view of a {@link SimLockStore}: the `Lock` its real `LeaseElector` uses.
 * Requests travel to the server and back with the candidate's latency; the server applies them
 * in true time whatever the client does meanwhile (an aborted request may still land); answers
 * reach the candidate only when its process runs (pauses defer them).
 */
export class SimLock implements Lock {
  readonly description: string;
  /** `holder#epoch` → when (true ms) a record naming them first reached this candidate. */
  readonly seen = new Map<string, number>();
  /** When (true ms) the candidate last sent a create or an update. */
  lastWriteSentAt = -Infinity;
  /**
   * When (true ms) the candidate last sent a request that will never be answered (dropped by a
   * blackhole, or its answer lost): the elector learns of it only at its request timeout.
   */
  lostRequestSentAt = -Infinity;
  /** When (true ms) a request of the candidate last failed: an error or refusal answered, or its own timeout. */
  lastFailureAt = -Infinity;
  private establishedWatches = 0;
  /**
   * Whether the last watch opened started from the current state (no resourceVersion) while the
   * lock was absent: it shows nothing, so a deletion the candidate had not seen stays unseen.
   */
  relistedOverAbsence = false;
  /** Watch events held back by a blackhole partition, delivered when it heals. */
  private held: (() => void)[] = [];
  /**
   * When (true ms) a 409 to a repeated acquiring write reached the candidate whose first attempt had
   * landed: its own record in the way of the repeat.
   */
  readonly resentOwnConflicts: number[] = [];

  constructor(
    private readonly store: SimLockStore,
    readonly process: SimProcess,
    readonly net: NetworkConditions,
    private readonly prng: Prng,
    readonly identity: string,
    readonly name = 'sim-lock',
    /** How long the server keeps a watch open before closing it quietly (true ms range). */
    private readonly watchLifetime: readonly [number, number] = [5_000, 60_000],
  ) {
    this.description = `lease sim/${name}`;
  }

  private noteSeen(value: unknown): void {
    const record = (value as Partial<LockSnapshot> | undefined)?.record;
    if (record !== undefined && record.holderIdentity !== '') {
      const key = `${record.holderIdentity}#${record.leaseTransitions}`;
      if (!this.seen.has(key)) this.seen.set(key, this.store.scheduler.now);
    }
  }

  /** Whether one of the candidate's watches is established (and has not ended). */
  get watching(): boolean {
    return this.establishedWatches > 0;
  }

  /** Starts or ends a partition; ending one delivers the watch events it held back. */
  setPartition(mode: NetworkConditions['partition']): void {
    this.net.partition = mode;
    if (mode !== 'none') return;
    const held = this.held;
    this.held = [];
    for (const deliver of held) deliver();
  }

  get(signal: AbortSignal): Promise<LockSnapshot | undefined> {
    return this.call(signal, () => this.store.serveGet(), this.net.staleReads);
  }

  create(record: LeaderElectionRecord, signal: AbortSignal): Promise<LockSnapshot> {
    this.lastWriteSentAt = this.store.scheduler.now;
    return this.call(signal, () => this.store.serveCreate(record), 0, record);
  }

  update(record: LeaderElectionRecord, resourceVersion: string, signal: AbortSignal): Promise<LockSnapshot> {
    this.lastWriteSentAt = this.store.scheduler.now;
    return this.call(signal, () => this.store.serveUpdate(record, resourceVersion), 0, record);
  }

  /** `written`: the record a write (create, update) carries; `undefined` for a read. */
  private call<T>(
    signal: AbortSignal,
    serve: () => T | 'conflict',
    extraBack = 0,
    written?: LeaderElectionRecord,
  ): Promise<T> {
    const scheduler = this.store.scheduler;
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason as Error);
        return;
      }
      let done = false;
      const sentAt = scheduler.now;
      const lost = (): void => {
        this.lostRequestSentAt = Math.max(this.lostRequestSentAt, sentAt);
      };
      const finish = (outcome: () => void): void => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        outcome();
      };
      const fail = (error: Error): void => {
        finish(() => {
          this.lastFailureAt = scheduler.now;
          reject(error);
        });
      };
      const onAbort = (): void => {
        fail(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const answer = (outcome: () => void): void => {
        const back = this.net.latency() + extraBack;
        if (this.prng.chance(this.net.lossRate)) {
          lost();
          return;
        }
        this.process.at(this.store.noteDelivery(scheduler.now + back), () => {
          if (this.net.partition === 'blackhole') {
            lost();
            return;
          }
          finish(outcome);
        });
      };
      if (this.net.partition === 'refuse') {
        this.process.at(scheduler.now + 0.5, () => {
          fail(new LeaderElectionError('apiError', 'simulated connection refused (partition)'));
        });
        return;
      }
      if (this.net.partition === 'blackhole') {
        lost();
        return;
      }
      scheduler.at(this.store.noteDelivery(scheduler.now + this.net.latency()), () => {
        if (this.net.partition !== 'none') {
          lost(); // a partition that began while it travelled: no answer comes
          return;
        }
        if (this.prng.chance(this.net.errorRate)) {
          const code = [500, 503, 504, 429][this.prng.int(4)] ?? 500;
          answer(() => {
            this.lastFailureAt = scheduler.now;
            reject(apiError(code));
          });
          return;
        }
        // (Draws only while the fault is on, so that schedules without it stay as they were.)
        if (written !== undefined && this.net.resendRate > 0 && this.prng.chance(this.net.resendRate)) {
          // The connection breaks once the server has the write; the transport sends it again.
          const landed = this.prng.chance(0.5) && serve() !== 'conflict';
          scheduler.at(this.store.noteDelivery(scheduler.now + 2 * this.net.latency()), () => {
            if (this.net.partition !== 'none') {
              lost();
              return;
            }
            const again = serve();
            answer(() => {
              if (again !== 'conflict') {
                this.noteSeen(again);
                resolve(again);
                return;
              }
              // An acquiring write (a renew's record has a later renewTime): it was following.
              const acquiring = written.acquireTime?.getTime() === written.renewTime?.getTime();
              if (landed && acquiring && written.holderIdentity === this.identity) {
                this.resentOwnConflicts.push(scheduler.now);
              }
              reject(
                new LeaderElectionError('lockConflict', `${this.description}: simulated 409 to a repeat`, {
                  statusCode: 409,
                  resent: true,
                }),
              );
            });
          });
          return;
        }
        const result = serve();
        if (this.prng.chance(this.net.duplicateRate)) {
          scheduler.at(this.store.noteDelivery(scheduler.now + this.net.latency()), () => {
            serve();
          });
        }
        answer(() => {
          if (result === 'conflict') {
            reject(
              new LeaderElectionError('lockConflict', `${this.description}: simulated conflict (409)`, {
                statusCode: 409,
              }),
            );
          } else {
            this.noteSeen(result);
            resolve(result);
          }
        });
      });
    });
  }

  watch(
    resourceVersion: string | undefined,
    handlers: LockWatchHandlers,
    signal: AbortSignal,
  ): Promise<void> {
    const scheduler = this.store.scheduler;
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      let done = false;
      let established = false;
      let lastDelivery = scheduler.now;
      const finish = (error?: Error): void => {
        if (done) return;
        done = true;
        if (established) this.establishedWatches--;
        this.store.closeStream(stream);
        lifetime?.cancel();
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = (): void => {
        finish();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const toEvent = (change: Change): LockWatchEvent =>
        change.object === undefined
          ? { type: 'deleted', resourceVersion: change.resourceVersion }
          : {
              type: 'changed',
              snapshot: { resourceVersion: change.object.resourceVersion, record: change.object.record },
            };
      const deliver = (change: Change): void => {
        if (this.net.partition === 'refuse') {
          stream.end(new LeaderElectionError('apiError', 'simulated connection reset (partition)'));
          return;
        }
        if (this.net.partition === 'blackhole') {
          // TCP keeps the stream: events wait in flight until the partition heals.
          this.held.push(() => {
            if (!done) deliver(change);
          });
          return;
        }
        // (Draws only while losing, so that schedules without this fault stay as they were.)
        if (this.net.watchLossRate > 0 && this.prng.chance(this.net.watchLossRate)) return;
        const copies = this.prng.chance(this.net.duplicateEventRate) ? 2 : 1;
        for (let i = 0; i < copies; i++) {
          let time = scheduler.now + this.net.latency() + this.net.watchDelay;
          if (!this.net.reorderWatch) time = Math.max(time, lastDelivery);
          lastDelivery = this.store.noteDelivery(time);
          this.process.at(time, () => {
            if (done) return;
            const event = toEvent(change);
            if (event.type === 'changed') this.noteSeen(event.snapshot);
            try {
              handlers.onEvent(event);
            } catch (error: unknown) {
              // As the lock's watch: a handler that throws ends the watch with its error.
              finish(error instanceof Error ? error : new Error(String(error)));
            }
          });
        }
      };
      const stream: Stream = {
        push: deliver,
        end: (error) => {
          // The end reaches the client after the events already on their way.
          this.process.at(Math.max(lastDelivery, scheduler.now + this.net.latency()), () => {
            finish(error);
          });
        },
      };
      let lifetime: { cancel(): void } | undefined;
      if (this.net.partition === 'refuse') {
        this.process.at(scheduler.now + 0.5, () => {
          finish(new LeaderElectionError('apiError', 'simulated connection refused (partition)'));
        });
        return;
      }
      if (this.net.partition === 'blackhole') return;
      scheduler.at(scheduler.now + this.net.latency(), () => {
        if (done || this.net.partition !== 'none') return;
        if (this.prng.chance(this.net.errorRate)) {
          const code = [500, 503][this.prng.int(2)] ?? 500;
          this.process.at(scheduler.now + this.net.latency(), () => {
            finish(apiError(code));
          });
          return;
        }
        // Events are pushed (and scheduled) only after the "established" answer.
        const answerAt = scheduler.now + this.net.latency();
        lastDelivery = answerAt;
        const answered = this.process.at(answerAt, () => {
          if (done) return;
          established = true;
          this.establishedWatches++;
          handlers.onEstablished();
        });
        if (this.store.openStream(resourceVersion, stream) === 'expired') {
          answered.cancel();
          this.process.at(answerAt, () => {
            finish(new LeaderElectionError('watchExpired', 'simulated 410 Gone', { statusCode: 410 }));
          });
          return;
        }
        this.relistedOverAbsence = resourceVersion === undefined && this.store.snapshot() === undefined;
        const [min, max] = this.watchLifetime;
        lifetime = scheduler.at(scheduler.now + min + this.prng.next() * (max - min), () => {
          stream.end();
        });
      });
    });
  }
}
