import { Counter, type Registry } from 'prom-client';

/** The event recorder metrics of one registry (created there on first use, shared by every recorder). */
export interface EventRecorderMetrics {
  /** Events not written because the queue was full (`reason="queueFull"`) or the recorder stopped (`"stopped"`). */
  readonly dropped: Counter<'controller' | 'reason'>;
  /** Writes by `operation` (`create`, `patch`) and `result` (`success`, `error`). */
  readonly writes: Counter<'controller' | 'operation' | 'result'>;
}

const byRegistry = new WeakMap<Registry, EventRecorderMetrics>();

/** `kubekit_event_recorder_*` metrics in `registry`. */
export function eventRecorderMetrics(registry: Registry): EventRecorderMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics === undefined) {
    metrics = {
      dropped: new Counter({
        name: 'kubekit_event_recorder_dropped_total',
        help: 'Events not written: the queue was full, or the recorder stopped with them queued',
        labelNames: ['controller', 'reason'],
        registers: [registry],
      }),
      writes: new Counter({
        name: 'kubekit_event_recorder_writes_total',
        help: 'Event writes to the API server (create a new Event, patch a series count), by result',
        labelNames: ['controller', 'operation', 'result'],
        registers: [registry],
      }),
    };
    byRegistry.set(registry, metrics);
  }
  return metrics;
}
