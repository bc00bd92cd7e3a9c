import { Counter, Gauge, type Registry } from 'prom-client';

/** Why a term of this manager ended, as counted by `kubekit_manager_leadership_transitions_total`. */
export type ManagerTransition = 'acquired' | 'lost' | 'stopped';

function gauge(registry: Registry, name: string, help: string): Gauge<'lock'> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Gauge) return existing;
  return new Gauge({ name, help, labelNames: ['lock'], registers: [registry] });
}

function counter(registry: Registry, name: string, help: string): Counter<'lock' | 'transition'> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing;
  return new Counter({ name, help, labelNames: ['lock', 'transition'], registers: [registry] });
}

/**
 * The manager's prom-client metrics, registered once per registry and shared by every manager
 * using it (each reports under its lock's description, label `lock`; `none` without election):
 *
 * - `kubekit_manager_leader_runnables{lock}` gauge: leader-gated runnables running now;
 * - `kubekit_manager_leadership_transitions_total{lock,transition}` counter: terms in which the
 *   manager started its leader-gated runnables (`acquired`), terms that ended by a loss (`lost`),
 *   and terms it ended itself on shutdown (`stopped`: never counted as `lost`).
 */
export class ManagerMetrics {
  private readonly running: Gauge<'lock'>;
  private readonly transitions: Counter<'lock' | 'transition'>;

  constructor(
    registry: Registry,
    private readonly lock: string,
  ) {
    this.running = gauge(
      registry,
      'kubekit_manager_leader_runnables',
      'Leader-gated runnables of the manager running now.',
    );
    this.transitions = counter(
      registry,
      'kubekit_manager_leadership_transitions_total',
      'Terms of the manager: started (acquired), ended by a loss (lost), ended on shutdown (stopped).',
    );
    this.running.set({ lock }, 0);
  }

  leaderRunnables(count: number): void {
    this.running.set({ lock: this.lock }, count);
  }

  transition(transition: ManagerTransition): void {
    this.transitions.inc({ lock: this.lock, transition });
  }
}
