import type { Clock, KindRef } from '@kubekit/client';
import type { Subscription } from 'rxjs';
import type { Informer } from '../cache/informer.js';
import { compileSelector } from '../cache/label-selector.js';
import { objectKey } from '../cache/object-key.js';
import { ReconcileError } from '../reconcile-error.js';
import { compareResourceVersions } from './resource-version.js';

/** What a read must see of one object after a write of this client. */
export interface WriteTarget {
  /** `namespace/name` or `name`: the cache key. */
  readonly key: string;
  readonly namespace: string;
  /** The written object's labels, to tell whether a label-selected informer sees it. */
  readonly labels: Readonly<Record<string, string>>;
  readonly uid: string | undefined;
  /**
   * The written resourceVersion; for a deletion: the answer's (an object still being deleted:
   * finalizers, grace period), else undefined.
   */
  readonly resourceVersion: string | undefined;
  /** A deletion: satisfied once the object is gone from the cache (or replaced: another uid). */
  readonly gone: boolean;
  /** A deletion of an object this client wrote before: the cache must also have passed that write. */
  readonly floor: string | undefined;
  /** Opaque resourceVersions only: an event for the object arrived after the write (in some informer). */
  seen: boolean;
}

/** A write as {@link WriteTracker.record} takes it. */
export type Write = Omit<WriteTarget, 'seen' | 'floor'> & {
  /** The answer carries a `deletionTimestamp`: the write came after a deletion of the object began. */
  readonly deleting?: boolean | undefined;
};

/** How long a read may wait, and for whom. */
export interface WaitOptions {
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs: number;
}

/** Between event wake-ups a waiting read checks the cache this often (bookmarks move it without events). */
const POLL_MS = 100;

/** At most this often (ms) an informer's event checks every pending target, not only its object's. */
const SWEEP_MS = 1000;

interface InformerWatch {
  readonly subscription: Subscription;
  readonly wakers: Set<() => void>;
  /** Keys of events since the last check. */
  readonly touched: Set<string>;
  scheduled: boolean;
  /** Clock time of the last check of every pending target. */
  swept: number;
  /** The highest resourceVersion the informer reported; a lower one later: the server's history was reset. */
  highest: string | undefined;
}

function kindKey(kind: KindRef): string {
  return `${kind.apiVersion}/${kind.kind}`;
}

/**
 * The writes of one cached client that its reads must see, per kind, and the waiting. One
 * subscription per informer the client waits on (made at the first write of its kind; informers
 * are never created here), which wakes waiting reads after each event and forgets targets the
 * cache has caught up with.
 */
export class WriteTracker {
  readonly #clock: Clock;
  readonly #targets = new Map<string, Map<string, WriteTarget>>();
  readonly #watches = new Map<Informer, InformerWatch>();
  /** The informers each target must be reflected in before it is forgotten: those whose scope held it. */
  readonly #covering = new WeakMap<WriteTarget, readonly Informer[]>();
  /** Targets of a history the server lost (its store was replaced): nothing to wait for any more. */
  readonly #lost = new WeakSet<WriteTarget>();
  /** Opaque resourceVersions: the informers that delivered an event for a target's object after the write. */
  readonly #seenBy = new WeakMap<WriteTarget, Set<Informer>>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Records a write (its answer) so that later reads wait for it; `informers`: those of its kind.
   * Nothing is kept when no informer's scope holds the object, or when all that do reflect the
   * write already (its event came before the answer).
   */
  record(kind: KindRef, write: Write, informers: readonly Informer[]): void {
    const { deleting, ...written } = write;
    for (const informer of informers) this.#noteVersion(informer, kind);
    let targets = this.#targets.get(kindKey(kind));
    const previous = targets?.get(written.key);
    if (
      previous !== undefined &&
      !previous.gone &&
      !written.gone &&
      previous.uid === written.uid &&
      (compareResourceVersions(previous.resourceVersion, written.resourceVersion) ?? 0) > 0
    ) {
      return; // Concurrent writes answered out of order: the newer one stays the target.
    }
    let target: WriteTarget;
    if (
      previous?.gone === true &&
      !written.gone &&
      deleting !== true &&
      written.uid !== undefined &&
      written.uid === previous.uid
    ) {
      // A write of the object this client deleted, answered after the delete and without a
      // deletionTimestamp: it came before the delete, which stays the target (and must pass it).
      target = { ...previous, floor: newer(previous.floor, written.resourceVersion), seen: false };
    } else {
      const floor =
        written.gone && previous !== undefined && !previous.gone ? previous.resourceVersion : undefined;
      target = { ...written, floor, seen: false };
    }
    const covering = informers.filter((informer) => covers(informer, target));
    if (covering.length === 0 || this.#reflected(covering, target)) {
      targets?.delete(written.key);
      return;
    }
    for (const informer of covering) this.#watch(informer, kind);
    this.#covering.set(target, covering);
    if (targets === undefined) this.#targets.set(kindKey(kind), (targets = new Map<string, WriteTarget>()));
    targets.set(written.key, target);
  }

  /** Whether a read through `informer` must wait for `target`: its scope holds the written object. */
  covers(informer: Informer, target: WriteTarget): boolean {
    return covers(informer, target);
  }

  /** The target of one object, if this client wrote it and the cache has not been seen to catch up. */
  targetOf(kind: KindRef, key: string): WriteTarget | undefined {
    return this.#targets.get(kindKey(kind))?.get(key);
  }

  /** The targets of a kind that `informer`'s scope holds. */
  targetsIn(kind: KindRef, informer: Informer): WriteTarget[] {
    const targets = this.#targets.get(kindKey(kind));
    if (targets === undefined) return [];
    return [...targets.values()].filter((t) => covers(informer, t));
  }

  /** Whether `informer` reflects `target`. */
  satisfied(informer: Informer, target: WriteTarget): boolean {
    if (this.#lost.has(target)) return true;
    const cached = informer.get(target.key);
    const cachedVersion = cached?.metadata?.resourceVersion;
    if (target.gone) {
      if (target.floor !== undefined && passed(informer, cachedVersion, target.floor) === false) return false;
      if (cached === undefined || (target.uid !== undefined && cached.metadata?.uid !== target.uid))
        return true;
      if (target.resourceVersion === undefined) return false;
      const order = compareResourceVersions(cachedVersion, target.resourceVersion);
      return order === undefined
        ? cachedVersion === target.resourceVersion || this.#seen(informer, target)
        : order >= 0;
    }
    if (target.resourceVersion === undefined) return true;
    const order = compareResourceVersions(cachedVersion, target.resourceVersion);
    if (order !== undefined && order >= 0) return true;
    const informerPassed = passed(informer, cachedVersion, target.resourceVersion);
    if (informerPassed !== undefined) return informerPassed;
    // Opaque resourceVersions: the write itself is cached, or an event for the object came after it.
    return cachedVersion === target.resourceVersion || this.#seen(informer, target);
  }

  /** Whether `informer` delivered an event for the target's object after the write. */
  #seen(informer: Informer, target: WriteTarget): boolean {
    return target.seen && this.#seenBy.get(target)?.has(informer) === true;
  }

  /**
   * Resolves once every target is satisfied (and forgets them); rejects with the signal's reason
   * when it aborts, or a `ReconcileError` `staleCache` after `timeoutMs`.
   */
  async waitFor(
    kind: KindRef,
    informer: Informer,
    targets: readonly WriteTarget[],
    options: WaitOptions,
    what: string,
  ): Promise<void> {
    const pending = new Set(targets);
    const check = (): boolean => {
      this.#noteVersion(informer, kind);
      for (const target of pending) {
        if (!this.satisfied(informer, target)) return false;
        pending.delete(target);
        this.#settle(kind, target);
      }
      return true;
    };
    if (check()) return;
    options.signal?.throwIfAborted();
    const watch = this.#watch(informer, kind);
    const deadline = this.#clock.now() + options.timeoutMs;
    for (;;) {
      const remaining = deadline - this.#clock.now();
      if (remaining <= 0) {
        const [first] = pending;
        throw new ReconcileError(
          'staleCache',
          `${what}: the cache (informer ${informer.scope.apiVersion}/${informer.scope.kind}${informer.scope.namespace === undefined ? '' : ` in ${informer.scope.namespace}`}) has not caught up with this client's write of ${first?.key ?? '?'}${first?.resourceVersion === undefined ? '' : ` (resourceVersion ${first.resourceVersion})`} within ${String(options.timeoutMs)} ms; its watch may be stalled (see the cache's health on /readyz). Let the reconcile fail so it is retried, or read from the API server (clientFor(manager)) when it must be current`,
        );
      }
      await this.#nap(watch, Math.min(remaining, POLL_MS), options.signal);
      if (check()) return;
    }
  }

  /** Unsubscribes from every informer. */
  close(): void {
    for (const watch of this.#watches.values()) watch.subscription.unsubscribe();
    this.#watches.clear();
    this.#targets.clear();
  }

  /** Sleeps `ms`, or less if an event of the informer comes first; rejects when `signal` aborts. */
  async #nap(watch: InformerWatch, ms: number, signal: AbortSignal | undefined): Promise<void> {
    const timer = new AbortController();
    const both = signal === undefined ? timer.signal : AbortSignal.any([signal, timer.signal]);
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    watch.wakers.add(wake);
    try {
      await Promise.race([woken, this.#clock.sleep(ms, both)]);
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      throw error;
    } finally {
      watch.wakers.delete(wake);
      timer.abort();
    }
  }

  #watch(informer: Informer, kind: KindRef): InformerWatch {
    const existing = this.#watches.get(informer);
    if (existing !== undefined) return existing;
    const watch: InformerWatch = {
      wakers: new Set(),
      touched: new Set(),
      scheduled: false,
      swept: Number.NEGATIVE_INFINITY,
      highest: informer.lastResourceVersion(),
      subscription: undefined as unknown as Subscription,
    };
    this.#watches.set(informer, watch);
    const targets = (): Map<string, WriteTarget> | undefined => this.#targets.get(kindKey(kind));
    (watch as { subscription: Subscription }).subscription = informer.events().subscribe((event) => {
      if (event.initial) return; // replayed objects and resyncs: not news
      const key = objectKey(event.object);
      const all = targets();
      const target = all?.get(key);
      if (target !== undefined) {
        target.seen = true;
        let seenBy = this.#seenBy.get(target);
        if (seenBy === undefined) this.#seenBy.set(target, (seenBy = new Set()));
        seenBy.add(informer);
        watch.touched.add(key);
      }
      if ((all === undefined || all.size === 0) && watch.wakers.size === 0) return;
      if (watch.scheduled) return;
      watch.scheduled = true;
      // After the informer's synchronous bookkeeping (its resourceVersion moves after the event).
      // The event's object is checked; at most every SWEEP_MS every pending target this informer
      // must reflect is too: the informer passing a write of an object outside its field selector
      // (no event for it) settles those.
      queueMicrotask(() => {
        watch.scheduled = false;
        this.#noteVersion(informer, kind);
        const pending = targets();
        const now = this.#clock.now();
        const sweep = now - watch.swept >= SWEEP_MS;
        if (sweep) watch.swept = now;
        for (const key of sweep ? [...(pending?.keys() ?? [])] : [...watch.touched]) {
          const t = pending?.get(key);
          if (t !== undefined && this.#covering.get(t)?.includes(informer) === true) this.#settle(kind, t);
        }
        watch.touched.clear();
        for (const wake of [...watch.wakers]) wake();
      });
    });
    return watch;
  }

  /** Forgets `target` once every synced informer whose scope held it reflects it (another may lag). */
  #settle(kind: KindRef, target: WriteTarget): void {
    const targets = this.#targets.get(kindKey(kind));
    if (targets?.get(target.key) !== target) return;
    if (this.#reflected(this.#covering.get(target) ?? [], target)) targets.delete(target.key);
  }

  /**
   * Whether every informer of `covering` that has synced reflects `target` (at least one has): one
   * that has not synced yet (its list may never succeed: forbidden) cannot be read, and must not
   * keep targets for ever.
   */
  #reflected(covering: readonly Informer[], target: WriteTarget): boolean {
    const synced = covering.filter((informer) => informer.hasSynced());
    return synced.length > 0 && synced.every((informer) => this.satisfied(informer, target));
  }

  /**
   * Follows the informer's resourceVersion. When it goes back (the informer relisted from a server
   * whose store was replaced: restored or fresh), the writes ahead of it were lost with the old
   * history: reads stop waiting for them (the cache now shows what the server holds).
   */
  #noteVersion(informer: Informer, kind: KindRef): void {
    const watch = this.#watches.get(informer);
    if (watch === undefined) return;
    const now = informer.lastResourceVersion();
    const order = compareResourceVersions(now, watch.highest);
    if (order === undefined || order > 0) {
      if (now !== undefined) watch.highest = now;
      return;
    }
    if (order === 0) return;
    watch.highest = now;
    const targets = this.#targets.get(kindKey(kind));
    for (const [key, target] of targets ?? []) {
      if (this.#covering.get(target)?.includes(informer) !== true) continue;
      const ahead = [target.resourceVersion, target.floor].some(
        (version) => (compareResourceVersions(version, now) ?? -1) > 0,
      );
      if (!ahead) continue;
      this.#lost.add(target);
      targets?.delete(key);
    }
  }
}

/**
 * Whether the informer has passed `version`: the object's cached version or the informer's last
 * (an event's or a bookmark's) is at least `version`; undefined when the versions cannot be ordered.
 */
function passed(informer: Informer, cachedVersion: string | undefined, version: string): boolean | undefined {
  const cached = compareResourceVersions(cachedVersion, version);
  if (cached !== undefined && cached >= 0) return true;
  const last = compareResourceVersions(informer.lastResourceVersion(), version);
  if (last === undefined) return cached === undefined ? undefined : false;
  return last >= 0;
}

/** The newer of two resourceVersions (`b` when they cannot be ordered). */
function newer(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return (compareResourceVersions(a, b) ?? -1) > 0 ? a : b;
}

/**
 * Whether `informer`'s scope holds the written object: its namespace, and its label selector and
 * the `metadata.name` / `metadata.namespace` terms of its field selector (other fields cannot be
 * told from here: held), unless deleted; or the informer holds the object as it was before the
 * write (a write that takes it out of the selectors: the informer must drop it).
 */
function covers(
  informer: Informer,
  target: Pick<WriteTarget, 'key' | 'namespace' | 'labels' | 'gone'>,
): boolean {
  const { namespace, labelSelector, fieldSelector } = informer.scope;
  if (namespace !== undefined && target.namespace !== namespace) return false;
  if (target.gone || informer.get(target.key) !== undefined) return true;
  const matches = labelMatcher(labelSelector);
  if (matches !== undefined && !matches(target.labels)) return false;
  return fieldsMayMatch(fieldSelector, target);
}

/** Whether the object may match `selector`: its `metadata.name` and `metadata.namespace` terms are checked. */
function fieldsMayMatch(
  selector: string | undefined,
  target: Pick<WriteTarget, 'key' | 'namespace'>,
): boolean {
  if (selector === undefined) return true;
  const known = new Map([
    ['metadata.name', target.key.slice(target.key.indexOf('/') + 1)],
    ['metadata.namespace', target.namespace],
  ]);
  for (const term of selector.split(',')) {
    const match = /^\s*([^!=\s]+)\s*(!=|==|=)\s*(.*?)\s*$/.exec(term);
    if (match === null) continue; // Not understood: it may match.
    const [, field = '', operator, value] = match;
    const actual = known.get(field);
    if (actual === undefined) continue;
    if ((operator === '!=') === (actual === value)) return false;
  }
  return true;
}

function labelMatcher(
  selector: string | undefined,
): ((labels: Readonly<Record<string, string>>) => boolean) | undefined {
  if (selector === undefined) return undefined;
  try {
    return compileSelector(selector);
  } catch {
    return undefined; // A selector the cache cannot evaluate: wait for every write of the kind.
  }
}
