import { Counter, Gauge, type Metric, type MetricValueWithName, type Registry } from 'prom-client';
import { HistogramData, WORKQUEUE_BUCKETS } from './histogram-data.js';

/** What a live queue tells the metrics at scrape time. */
export interface QueueProbe {
  /** Calls `visit` with each priority level's number of waiting items. */
  depths(visit: (priority: number, depth: number) => void): void;
  /** Calls `visit` with the start time (clock ms) of each item being processed. */
  processingStarts(visit: (startedAt: number) => void): void;
  /** The queue clock's `now()`. */
  now(): number;
}

/** The counters of one queue name, written on the hot path as plain numbers. */
export class QueueSeries {
  adds = 0;
  retries = 0;
  readonly queueDuration = new HistogramData();
  readonly workDuration = new HistogramData();
  reportedAdds = 0;
  reportedRetries = 0;

  constructor(readonly name: string) {}
}

const brand = Symbol.for('@kubekit/reconcile.workqueueMetrics');

/**
 * A histogram whose observations live in {@link HistogramData} and are turned into prom-client's
 * exposition only when the registry is read: prom-client's own `observe` costs about 1 µs, as
 * much as a whole queue cycle.
 */
class CollectedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly [brand] = true;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly pick: (series: QueueSeries) => HistogramData,
    private readonly series: () => Iterable<QueueSeries>,
  ) {}

  /** What prom-client's registry reads from a metric (`get()` of its own metric classes). */
  get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    values: MetricValueWithName<string>[];
    aggregator: 'sum';
  }> {
    const values: MetricValueWithName<string>[] = [];
    for (const series of this.series()) {
      const data = this.pick(series);
      const labels = { name: series.name, controller: series.name };
      let cumulative = 0;
      WORKQUEUE_BUCKETS.forEach((bound, i) => {
        cumulative += data.counts[i] ?? 0;
        values.push({
          labels: { ...labels, le: bound },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push({
        labels: { ...labels, le: '+Inf' },
        value: data.count,
        metricName: `${this.name}_bucket`,
      });
      values.push({ labels, value: data.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: data.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: 'histogram',
      values,
      aggregator: 'sum',
    });
  }

  reset(): void {
    for (const series of this.series()) this.pick(series).reset();
  }
}

/**
 * controller-runtime's workqueue metrics in one prom-client registry, shared by every queue that
 * reports there. Hot-path figures are plain numbers; prom-client sees them when scraped.
 */
export class WorkqueueMetrics {
  static readonly #byRegistry = new WeakMap<Registry, WorkqueueMetrics>();
  readonly #series = new Map<string, QueueSeries>();
  readonly #probes = new Map<QueueProbe, QueueSeries>();

  /** The metrics of `registry`, registered there on first use. */
  static for(registry: Registry): WorkqueueMetrics {
    let metrics = WorkqueueMetrics.#byRegistry.get(registry);
    if (metrics === undefined) {
      metrics = new WorkqueueMetrics(registry);
      WorkqueueMetrics.#byRegistry.set(registry, metrics);
    }
    return metrics;
  }

  private constructor(registry: Registry) {
    const allSeries = (): Iterable<QueueSeries> => this.#series.values();
    const live = (): Iterable<[QueueProbe, QueueSeries]> => this.#probes.entries();
    new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue by workqueue and priority',
      labelNames: ['name', 'controller', 'priority'],
      registers: [registry],
      collect() {
        for (const [probe, series] of live()) {
          // One series per priority, as controller-runtime's priority queue (`"0"` for a queue
          // that never used priorities).
          probe.depths((priority, depth) => {
            this.set({ name: series.name, controller: series.name, priority: String(priority) }, depth);
          });
        }
      },
    });
    new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: ['name', 'controller'],
      registers: [registry],
      collect() {
        for (const series of allSeries()) {
          this.inc({ name: series.name, controller: series.name }, series.adds - series.reportedAdds);
          series.reportedAdds = series.adds;
        }
      },
    });
    new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: ['name', 'controller'],
      registers: [registry],
      collect() {
        for (const series of allSeries()) {
          this.inc({ name: series.name, controller: series.name }, series.retries - series.reportedRetries);
          series.reportedRetries = series.retries;
        }
      },
    });
    new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help:
        "How many seconds of work has been done that is in progress and hasn't been observed by " +
        'work_duration. Large values indicate stuck threads. One can deduce the number of stuck ' +
        'threads by observing the rate at which this increases.',
      labelNames: ['name', 'controller'],
      registers: [registry],
      collect() {
        for (const [probe, series] of live()) {
          const now = probe.now();
          let total = 0;
          probe.processingStarts((at) => (total += now - at));
          this.set({ name: series.name, controller: series.name }, total / 1000);
        }
      },
    });
    new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames: ['name', 'controller'],
      registers: [registry],
      collect() {
        for (const [probe, series] of live()) {
          const now = probe.now();
          let longest = 0;
          probe.processingStarts((at) => (longest = Math.max(longest, now - at)));
          this.set({ name: series.name, controller: series.name }, longest / 1000);
        }
      },
    });
    const all = (): Iterable<QueueSeries> => this.#series.values();
    for (const histogram of [
      new CollectedHistogram(
        'workqueue_queue_duration_seconds',
        'How long in seconds an item stays in workqueue before being requested',
        (s) => s.queueDuration,
        all,
      ),
      new CollectedHistogram(
        'workqueue_work_duration_seconds',
        'How long in seconds processing an item from workqueue takes.',
        (s) => s.workDuration,
        all,
      ),
    ]) {
      registry.registerMetric(histogram as unknown as Metric);
    }
  }

  /** Starts reporting a live queue; returns the series its hot path writes to. */
  attach(name: string, probe: QueueProbe): QueueSeries {
    let series = this.#series.get(name);
    if (series === undefined) {
      series = new QueueSeries(name);
      this.#series.set(name, series);
    }
    this.#probes.set(probe, series);
    return series;
  }

  /** Stops reading a queue's live state (its counters and histograms stay). */
  detach(probe: QueueProbe): void {
    this.#probes.delete(probe);
  }
}
