import { Counter, Gauge, type Registry } from 'prom-client';

/** The informer metrics of one registry (created there on first use, shared by every informer). */
export interface InformerMetrics {
  readonly healthy: Gauge<'informer'>;
  readonly relists: Counter<'informer'>;
  readonly watchFailures: Counter<'informer' | 'reason'>;
  readonly objects: Gauge<'informer'>;
}

const byRegistry = new WeakMap<Registry, InformerMetrics>();

/** `kubekit_informer_*` metrics in `registry`. */
export function informerMetrics(registry: Registry): InformerMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics === undefined) {
    metrics = {
      healthy: new Gauge({
        name: 'kubekit_informer_healthy',
        help: '1 while the informer is synced and not failing (no failed list or watch since the last list, established watch or event), else 0',
        labelNames: ['informer'],
        registers: [registry],
      }),
      relists: new Counter({
        name: 'kubekit_informer_relists_total',
        help: 'Lists after the first (410 Expired, repeated watch failures)',
        labelNames: ['informer'],
        registers: [registry],
      }),
      watchFailures: new Counter({
        name: 'kubekit_informer_watch_failures_total',
        help: 'Lists and watches that ended in an error, by error kind',
        labelNames: ['informer', 'reason'],
        registers: [registry],
      }),
      objects: new Gauge({
        name: 'kubekit_informer_objects',
        help: 'Objects in the informer cache',
        labelNames: ['informer'],
        registers: [registry],
      }),
    };
    byRegistry.set(registry, metrics);
  }
  return metrics;
}
