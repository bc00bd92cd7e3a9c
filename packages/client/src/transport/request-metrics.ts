import { Counter, Histogram, register as globalRegistry } from 'prom-client';
import type { Registry } from 'prom-client';

const requestsName = 'rest_client_requests_total';
const durationName = 'rest_client_request_duration_seconds';

/** client-go's request latency buckets (`k8s.io/client-go/tools/metrics`, via component-base). */
const durationBuckets = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

/**
 * client-go's request metrics: `rest_client_requests_total{code,method,host}` and
 * `rest_client_request_duration_seconds{verb,host}`, one sample per attempt (a request sent again
 * after a 401 or a 429 counts twice). `code` is the HTTP status, or `<error>` when no answer came.
 * Clients sharing a registry share the metrics.
 */
export class RequestMetrics {
  private readonly requests: Counter<'code' | 'method' | 'host'>;
  private readonly duration: Histogram<'verb' | 'host'>;

  private constructor(registry: Registry) {
    const requests = registry.getSingleMetric(requestsName);
    const duration = registry.getSingleMetric(durationName);
    this.requests =
      requests instanceof Counter
        ? requests
        : new Counter({
            name: requestsName,
            help: 'Number of HTTP requests, partitioned by status code, method, and host.',
            labelNames: ['code', 'method', 'host'],
            registers: [registry],
          });
    this.duration =
      duration instanceof Histogram
        ? duration
        : new Histogram({
            name: durationName,
            help: 'Request latency in seconds. Broken down by verb, and host.',
            labelNames: ['verb', 'host'],
            buckets: durationBuckets,
            registers: [registry],
          });
  }

  /** Metrics in `registry` (prom-client's global one when undefined); none when `null`. */
  static in(registry: Registry | null | undefined): RequestMetrics | undefined {
    if (registry === null) return undefined;
    return new RequestMetrics(registry ?? globalRegistry);
  }

  /** Records one attempt: `code` is the HTTP status, or undefined when no answer came. */
  observe(method: string, host: string, code: number | undefined, seconds: number): void {
    this.requests.inc({ code: code === undefined ? '<error>' : String(code), method, host });
    this.duration.observe({ verb: method, host }, seconds);
  }
}
