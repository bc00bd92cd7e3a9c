/**
 * controller-runtime's workqueue histogram buckets: 10 ns × 10^i for i = 0…11 (10 ns … 1000 s),
 * in seconds.
 */
export const WORKQUEUE_BUCKETS: readonly number[] = Array.from({ length: 12 }, (_, i) =>
  Number((1e-8 * 10 ** i).toPrecision(1)),
);

/** Observations of one histogram series, kept as plain numbers so that observing allocates nothing. */
export class HistogramData {
  /** Per bucket (non-cumulative); the last slot counts values above every bound. */
  readonly counts = new Float64Array(WORKQUEUE_BUCKETS.length + 1);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    let i = 0;
    while (i < WORKQUEUE_BUCKETS.length && seconds > (WORKQUEUE_BUCKETS[i] ?? Infinity)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += seconds;
    this.count += 1;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}
