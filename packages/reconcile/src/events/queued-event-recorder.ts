import { hostname } from 'node:os';
import { format } from 'node:util';
import {
  isNotFound,
  KubeClientError,
  systemClock,
  type Clock,
  type KubeObject,
  type ObjectClient,
} from '@kubekit/client';
import type { Logger } from '../controller/controller.js';
import { BucketRateLimiter } from '../queue/bucket-rate-limiter.js';
import { ReconcileError } from '../reconcile-error.js';
import {
  eventObject,
  referenceTo,
  seriesPatch,
  truncateNote,
  type EventRecord,
  type Occurrences,
  type Reporter,
} from './event-objects.js';
import type {
  EventOptions,
  EventRecorder,
  EventRecorderOptions,
  EventsApi,
  EventType,
} from './event-recorder.js';
import { eventRecorderMetrics, type EventRecorderMetrics } from './event-recorder-metrics.js';

type State = 'idle' | 'running' | 'stopped';

/** Identical events within the window, counted into one Event. */
interface Series {
  readonly key: string;
  readonly record: EventRecord;
  /** The Event's name; a new one when the Event must be created again. */
  name: string;
  /** The API the Event was created in, once created. */
  api: EventsApi | undefined;
  count: number;
  /** The count the server has. */
  written: number;
  readonly first: Date;
  last: Date;
  /** Clock time of the last occurrence. */
  lastAt: number;
  /** In the queue (at most once). */
  queued: boolean;
}

/** Series kept at most, the least recently used forgotten first (their next repeat starts a new Event). */
const MAX_SERIES = 4096;

/** Whether `error` says the events.k8s.io Event resource is not served (not: the namespace is missing). */
function notServed(error: unknown): boolean {
  if (KubeClientError.is(error, 'noKindMatch')) return true;
  return isNotFound(error) && (error as KubeClientError).details?.kind !== 'namespaces';
}

function quiet(): void {
  // Logs nothing.
}

const quietLogger: Logger = { debug: quiet, info: quiet, warn: quiet, error: quiet };

/** The implementation of {@link EventRecorder}; create it with {@link createEventRecorder}. */
class QueuedEventRecorder implements EventRecorder {
  readonly #client: ObjectClient;
  readonly #reporter: Reporter;
  readonly #queueSize: number;
  readonly #windowMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #limiter: BucketRateLimiter;
  readonly #metrics: EventRecorderMetrics | null;
  readonly #series = new Map<string, Series>();
  #queue: Series[] = [];
  #api: EventsApi;
  #state: State = 'idle';
  #wake: (() => void) | undefined;
  #sequence = 0;

  constructor(options: EventRecorderOptions) {
    if (typeof options.reportingController !== 'string' || options.reportingController === '') {
      throw new ReconcileError(
        'invalidArgument',
        'event recorder: reportingController must be a non-empty string',
      );
    }
    this.#client = options.client;
    this.#reporter = {
      controller: options.reportingController,
      instance: (options.reportingInstance ?? `${options.reportingController}-${hostname()}`).slice(0, 128),
    };
    this.#queueSize = options.queueSize ?? 1000;
    this.#windowMs = options.seriesWindowMs ?? 360_000;
    if (!Number.isInteger(this.#queueSize) || this.#queueSize < 1 || !(this.#windowMs >= 0)) {
      throw new ReconcileError(
        'invalidArgument',
        `event recorder ${options.reportingController}: queueSize (${String(this.#queueSize)}) must be an integer >= 1 and seriesWindowMs (${String(this.#windowMs)}) >= 0`,
      );
    }
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? quietLogger;
    this.#limiter = new BucketRateLimiter({
      qps: options.qps ?? 5,
      burst: options.burst ?? 25,
      clock: this.#clock,
    });
    this.#metrics =
      options.metrics === undefined || options.metrics === null
        ? null
        : eventRecorderMetrics(options.metrics);
    this.#api = options.api ?? 'events.k8s.io/v1';
  }

  api(): EventsApi {
    return this.#api;
  }

  needLeaderElection(): false {
    return false;
  }

  eventf(object: KubeObject, type: EventType, reason: string, pattern: string, ...args: unknown[]): void {
    let message: string;
    try {
      message = format(pattern, ...args);
    } catch (error) {
      this.#logger.error({ error, reason }, 'event recorder: cannot format the message; event dropped');
      return;
    }
    this.event(object, type, reason, message);
  }

  event(
    object: KubeObject,
    type: EventType,
    reason: string,
    message: string,
    options: EventOptions = {},
  ): void {
    try {
      this.#record(object, type, reason, message, options);
    } catch (error) {
      this.#logger.error({ error, reason }, 'event recorder: event dropped');
      this.#drop('invalid');
    }
  }

  async start(signal: AbortSignal): Promise<void> {
    if (this.#state !== 'idle') {
      throw new ReconcileError(
        'invalidState',
        `event recorder: start may be called once (state ${this.#state})`,
      );
    }
    this.#state = 'running';
    const onAbort = (): void => this.#wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        const series = this.#queue.shift();
        if (series === undefined) {
          await new Promise<void>((resolve) => (this.#wake = resolve));
          this.#wake = undefined;
          continue;
        }
        series.queued = false;
        const delay = this.#limiter.when(series.key);
        if (delay > 0) {
          try {
            await this.#clock.sleep(delay, signal);
          } catch {
            this.#drop('stopped');
            break;
          }
        }
        await this.#write(series, signal);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#state = 'stopped';
      for (const _ of this.#queue) this.#drop('stopped');
      this.#queue = [];
    }
  }

  // Checked at run time: callers in plain JavaScript (or with casts) may pass anything.
  #record(object: KubeObject, type: unknown, reason: unknown, message: unknown, options: EventOptions): void {
    if (type !== 'Normal' && type !== 'Warning') {
      throw new ReconcileError(
        'invalidArgument',
        `event type must be Normal or Warning, not ${String(type)}`,
      );
    }
    if (typeof reason !== 'string' || reason === '') {
      throw new ReconcileError('invalidArgument', 'event reason must be a non-empty string');
    }
    const regarding = referenceTo(object);
    if (regarding.name === undefined || regarding.kind === undefined) {
      throw new ReconcileError('invalidArgument', 'an event needs an object with kind and metadata.name');
    }
    const record: EventRecord = {
      regarding,
      related: options.related === undefined ? undefined : referenceTo(options.related),
      type,
      reason,
      action: options.action ?? reason,
      note: truncateNote(String(message)),
      namespace: regarding.namespace ?? 'default',
    };
    const { uid, apiVersion, kind, namespace, name } = regarding;
    const related = record.related;
    const key = JSON.stringify([
      apiVersion,
      kind,
      namespace,
      name,
      uid,
      related?.kind,
      related?.namespace,
      related?.name,
      related?.uid,
      type,
      reason,
      record.action,
      record.note,
    ]);
    const now = this.#clock.now();
    const existing = this.#series.get(key);
    if (existing !== undefined && now - existing.lastAt <= this.#windowMs) {
      existing.count += 1;
      existing.last = new Date();
      existing.lastAt = now;
      // Least recently used last.
      this.#series.delete(key);
      this.#series.set(key, existing);
      if (!existing.queued) this.#enqueue(existing);
      return;
    }
    if (this.#state === 'stopped' || this.#queue.length >= this.#queueSize) {
      this.#drop(this.#state === 'stopped' ? 'stopped' : 'queueFull');
      return;
    }
    const at = new Date();
    const series: Series = {
      key,
      record,
      name: this.#nameFor(name),
      api: undefined,
      count: 1,
      written: 0,
      first: at,
      last: at,
      lastAt: now,
      queued: false,
    };
    this.#series.delete(key);
    this.#series.set(key, series);
    this.#enqueue(series);
    for (const [oldKey, old] of this.#series) {
      if (this.#series.size <= MAX_SERIES) break;
      if (!old.queued) this.#series.delete(oldKey);
    }
  }

  #enqueue(series: Series): void {
    if (this.#state === 'stopped' || this.#queue.length >= this.#queueSize) {
      // A repeat's count is not lost: the next repeat that gets queued carries it.
      this.#drop(this.#state === 'stopped' ? 'stopped' : 'queueFull');
      return;
    }
    series.queued = true;
    this.#queue.push(series);
    this.#wake?.();
  }

  async #write(series: Series, signal: AbortSignal): Promise<void> {
    const operation = series.api === undefined ? 'create' : 'patch';
    try {
      if (series.api === undefined) await this.#create(series, signal);
      else await this.#patch(series, series.api, signal);
      this.#metrics?.writes.inc({ controller: this.#reporter.controller, operation, result: 'success' });
    } catch (error) {
      if (signal.aborted) return;
      this.#metrics?.writes.inc({ controller: this.#reporter.controller, operation, result: 'error' });
      // A failed create is forgotten: the next identical event tries a new one.
      if (series.api === undefined && this.#series.get(series.key) === series)
        this.#series.delete(series.key);
      const { kind, namespace, name } = series.record.regarding;
      this.#logger.warn(
        { error, regarding: `${kind ?? ''} ${namespace ?? ''}/${name ?? ''}`, reason: series.record.reason },
        `event recorder: cannot ${operation} an Event; it is dropped`,
      );
    }
  }

  async #create(series: Series, signal: AbortSignal): Promise<void> {
    const count = series.count;
    const api = this.#api;
    const object = eventObject(
      api,
      series.name,
      series.record,
      this.#reporter,
      this.#occurrences(series, count),
    );
    try {
      await this.#client.create(object, { signal });
    } catch (error) {
      if (api !== 'events.k8s.io/v1' || !notServed(error)) throw error;
      // events.k8s.io/v1 is not served: core/v1 from now on, for every event.
      this.#api = 'v1';
      this.#logger.info(
        { error },
        'event recorder: events.k8s.io/v1 is not served; writing core/v1 Events from now on',
      );
      await this.#client.create(
        eventObject('v1', series.name, series.record, this.#reporter, this.#occurrences(series, count)),
        { signal },
      );
      series.api = 'v1';
      series.written = count;
      return;
    }
    series.api = api;
    series.written = count;
  }

  async #patch(series: Series, api: EventsApi, signal: AbortSignal): Promise<void> {
    const count = series.count;
    if (count <= series.written) return;
    const ref = { apiVersion: api, kind: 'Event', namespace: series.record.namespace, name: series.name };
    try {
      await this.#client.patch(ref, seriesPatch(api, this.#occurrences(series, count)), { signal });
      series.written = count;
    } catch (error) {
      if (!isNotFound(error)) throw error;
      // The Event is gone (expired, deleted): create it again, with the count so far.
      series.name = this.#nameFor(series.record.regarding.name ?? 'event');
      series.api = undefined;
      await this.#create(series, signal);
    }
  }

  #occurrences(series: Series, count: number): Occurrences {
    return { count, first: series.first, last: series.last };
  }

  /** `<object name>.<hex time in ns>`, as client-go names Events; unique within this recorder. */
  #nameFor(objectName: string): string {
    const stamp = (BigInt(Date.now()) * 1_000_000n + BigInt(this.#sequence++ % 1_000_000)).toString(16);
    return `${objectName.slice(0, 253 - stamp.length - 1)}.${stamp}`;
  }

  #drop(reason: 'queueFull' | 'stopped' | 'invalid'): void {
    this.#metrics?.dropped.inc({ controller: this.#reporter.controller, reason });
  }
}

/** Creates an {@link EventRecorder}; it writes nothing until started (`recorderFor(manager, name)` adds it to a manager). */
export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  return new QueuedEventRecorder(options);
}
