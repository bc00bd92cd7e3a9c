import type { EventRecorder } from '../observability/event-recorder.js';
import type { LeaderElectionRecord } from './leader-election-record.js';

/** The lock object as last read: its record and the resourceVersion every write is conditioned on. */
export interface LockSnapshot {
  /** Opaque: compare only for equality. */
  readonly resourceVersion: string;
  /** The record; `undefined` when the object holds none or an unreadable one (no valid holder). */
  readonly record: LeaderElectionRecord | undefined;
}

/** A change of the lock object seen by a watch. */
export type LockWatchEvent =
  | { readonly type: 'changed'; readonly snapshot: LockSnapshot }
  | { readonly type: 'deleted'; readonly resourceVersion: string }
  | { readonly type: 'bookmark'; readonly resourceVersion: string };

/** Callbacks of {@link Lock.watch}. */
export interface LockWatchHandlers {
  /** Called once the server has accepted the watch (events may follow). */
  onEstablished(): void;
  onEvent(event: LockWatchEvent): void;
}

/**
 * Where the election record lives. Implementations must not retry on their own and must translate
 * failures into `LeaderElectionError`s: kind `lockConflict` for 409 (stale resourceVersion or
 * AlreadyExists; with `resent: true` when a transport sent the write again after an attempt that
 * may have been applied), `watchExpired` for 410 on a watch, `timeout` when `signal` aborted the request,
 * `forbidden` for 401/403, `apiError` (with `statusCode`) for anything else. Every method settles
 * promptly once `signal` aborts.
 */
export interface Lock {
  /** The identity this replica writes into the record. */
  readonly identity: string;
  /** The lock object's name (the `name` label of the metrics). */
  readonly name: string;
  /** For messages, e.g. `lease kube-system/my-operator`. */
  readonly description: string;
  /** Where to send Kubernetes Events about this lock; absent when the lock cannot. */
  readonly eventRecorder?: EventRecorder;
  /** Reads the object; `undefined` when it does not exist. */
  get(signal: AbortSignal): Promise<LockSnapshot | undefined>;
  /** Creates the object holding `record`; `lockConflict` when it exists already. */
  create(record: LeaderElectionRecord, signal: AbortSignal): Promise<LockSnapshot>;
  /**
   * Writes `record` on condition that the object is still at `resourceVersion` (compare-and-swap);
   * `lockConflict` when it is not (or no longer exists).
   */
  update(record: LeaderElectionRecord, resourceVersion: string, signal: AbortSignal): Promise<LockSnapshot>;
  /**
   * Watches the one lock object from `resourceVersion` (from the current state when `undefined`:
   * the object, if it exists, arrives as a first `changed` event). Resolves when the watch ends
   * quietly (server closed it, inactivity timeout, or `signal` aborted); rejects with
   * `watchExpired` when `resourceVersion` is too old, or another error when it failed.
   */
  watch(resourceVersion: string | undefined, handlers: LockWatchHandlers, signal: AbortSignal): Promise<void>;
}
