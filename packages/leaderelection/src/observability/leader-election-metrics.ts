import { Counter, Gauge, register as globalRegistry } from 'prom-client';
import type { Registry } from 'prom-client';

type LabelName = 'name' | 'verb' | 'code' | 'transition';

function counter<L extends LabelName>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function gauge<L extends LabelName>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
): Gauge<L> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Gauge) return existing;
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

/**
 * The elector's prom-client metrics, registered once per registry and shared by every elector
 * using it (each reports under its lock's `name` label):
 *
 * - `leader_election_master_status{name}` gauge: 1 while this replica leads (client-go's);
 * - `leader_election_slowpath_total{name}` counter: renews that needed a read after a conflict
 *   (client-go's);
 * - `leader_election_transitions_total{name,transition}` counter: terms `acquired`, `lost`, and
 *   `stopped` (a voluntary stop: not a loss);
 * - `leader_election_api_requests_total{name,verb,code}` counter: lock API requests by verb and
 *   outcome (`200`, `409`, …, `timeout`, `error`).
 */
export class LeaderElectionMetrics {
  private readonly masterStatus: Gauge<'name'> | undefined;
  private readonly slowpath: Counter<'name'> | undefined;
  private readonly transitions: Counter<'name' | 'transition'> | undefined;
  private readonly requests: Counter<'name' | 'verb' | 'code'> | undefined;

  /** `registry` defaults to prom-client's global registry; `null` disables metrics. */
  constructor(
    private readonly name: string,
    registry: Registry | null = globalRegistry,
  ) {
    if (registry === null) return;
    this.masterStatus = gauge(
      registry,
      'leader_election_master_status',
      'Whether this replica leads the named lock (1) or not (0).',
      ['name'],
    );
    this.slowpath = counter(
      registry,
      'leader_election_slowpath_total',
      'Renews of the named lock that needed a read after a conflicting write.',
      ['name'],
    );
    this.transitions = counter(
      registry,
      'leader_election_transitions_total',
      'Terms of the named lock acquired and lost by this replica.',
      ['name', 'transition'],
    );
    this.requests = counter(
      registry,
      'leader_election_api_requests_total',
      'Requests to the API server for the named lock, by verb and outcome.',
      ['name', 'verb', 'code'],
    );
    this.masterStatus.set({ name }, 0);
  }

  leading(leading: boolean): void {
    this.masterStatus?.set({ name: this.name }, leading ? 1 : 0);
  }

  slowPath(): void {
    this.slowpath?.inc({ name: this.name });
  }

  transition(transition: 'acquired' | 'lost' | 'stopped'): void {
    this.transitions?.inc({ name: this.name, transition });
  }

  request(verb: 'get' | 'create' | 'update' | 'watch', code: string): void {
    this.requests?.inc({ name: this.name, verb, code });
  }
}
