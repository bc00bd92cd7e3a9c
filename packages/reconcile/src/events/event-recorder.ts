import type { Clock, KubeObject, ObjectClient } from '@kubekit/client';
import type { LeaderElectionRunnable, Runnable } from '@kubekit/manager';
import type { Registry } from 'prom-client';
import type { Logger } from '../controller/controller.js';

/** The type of an Event: `Normal` for progress, `Warning` for something a human may need to act on. */
export type EventType = 'Normal' | 'Warning';

/** Optional parts of one event. */
export interface EventOptions {
  /** What was done (events.k8s.io `action`, e.g. `Scale`); default the reason. */
  readonly action?: string;
  /** A second object the event is about (events.k8s.io `related`). */
  readonly related?: KubeObject;
}

/** Which Events API the recorder writes to. */
export type EventsApi = 'events.k8s.io/v1' | 'v1';

/** Options of {@link createEventRecorder}. */
export interface EventRecorderOptions {
  /** The client events are written with (usually the manager's, `clientFor(manager)`). */
  readonly client: ObjectClient;
  /** `reportingController` (core/v1: `source.component`), e.g. `example.com/memcached-operator`. Required. */
  readonly reportingController: string;
  /** `reportingInstance` (core/v1: `source.host`). Default `<reportingController>-<host name>`. */
  readonly reportingInstance?: string;
  /**
   * The API to write to. Default `events.k8s.io/v1`, falling back for good to core `v1` the first
   * time the server answers 404 for the events.k8s.io resource (not served); any other error is
   * logged, and the event dropped.
   */
  readonly api?: EventsApi;
  /** Most events waiting to be written; more are dropped (and counted). Default 1000. */
  readonly queueSize?: number;
  /** Writes per second over all events after a `burst`. Default 5 and 25. */
  readonly qps?: number;
  readonly burst?: number;
  /**
   * An identical event (same object, type, reason, action, message, related) within this many ms
   * of the last one is counted into the first one's series instead of being a new Event (6 min,
   * as client-go). Default 360,000.
   */
  readonly seriesWindowMs?: number;
  /** Where errors are logged. Default none. */
  readonly logger?: Logger;
  /** Where the recorder's metrics go; `null` for none (default). */
  readonly metrics?: Registry | null;
  /** Time source of the rate limit and the series window. */
  readonly clock?: Clock;
}

/**
 * Records Kubernetes Events about objects, as client-go's event recorder: events.k8s.io/v1
 * Events (`regarding`, `reportingController`, `reportingInstance`, `action`, `note`) with a core/v1
 * fallback; repeats of an identical event within `seriesWindowMs` patch the first one's series
 * count (core/v1: `count`, `lastTimestamp`) instead of creating more Events.
 *
 * Recording never throws and never blocks: `event` queues and returns; a Runnable (`start`) writes
 * the queue at a bounded rate. A full queue drops the new event and counts it in
 * `kubekit_event_recorder_dropped_total`; a failed write is logged and counted in
 * `kubekit_event_recorder_writes_total{result="error"}`. Runs on every replica (`needLeaderElection()`
 * is false): events recorded before `start` are written once it runs; those still queued when its
 * signal aborts are dropped.
 */
export interface EventRecorder extends Runnable, LeaderElectionRunnable {
  /** Records an event about `object` (a namespaced object's Events go to its namespace, others to `default`). */
  event(object: KubeObject, type: EventType, reason: string, message: string, options?: EventOptions): void;
  /** As `event`, with the message built by Node's `util.format(format, ...args)` (`%s`, `%d`, `%j`, `%o`). */
  eventf(object: KubeObject, type: EventType, reason: string, format: string, ...args: unknown[]): void;
  /** Writes queued events until `signal` aborts; resolves once stopped. Call once. */
  start(signal: AbortSignal): Promise<void>;
  needLeaderElection(): false;
  /** The API events go to now (it changes once, to `v1`, on the fallback). */
  api(): EventsApi;
}
