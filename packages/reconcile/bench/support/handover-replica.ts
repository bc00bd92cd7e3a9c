// One replica of the leader-handover benchmark (leader-handover.bench.ts starts several): a Manager
// with a lease elector and one controller (builder) for the ConfigMaps of a namespace; its cache
// warms up while it follows. It reports on stdout, one `@@replica {json}` line each:
//   {"event":"synced"}                   its cache has synced (it may still follow)
//   {"event":"leading"}                  its elector acquired the lease
//   {"event":"first-reconcile","ms":x,"afterNotification":y}
//                                        its first reconcile of a term began x ms after the
//                                        elector's acquisition timestamp (`term.acquiredAt`, taken
//                                        when the winning lock write was sent), y ms after the
//                                        elector announced the term (the write's answer), using
//                                        cpuMs of CPU time in between
// SIGTERM stops it gracefully (the lease is released); SIGKILL is a crash.
// Arguments: <kubeconfig file> <namespace> <identity>.
import { KubeConfig } from '@kubernetes/client-node';
import { createManager } from '@kubekit/manager';
import { cacheFor, controllerManagedBy } from '@kubekit/reconcile';
import { Registry } from 'prom-client';

const [kubeConfigPath, namespace, identity] = process.argv.slice(2);
if (kubeConfigPath === undefined || namespace === undefined || identity === undefined) {
  throw new Error('usage: handover-replica <kubeconfig> <namespace> <identity>');
}

function report(event: Record<string, unknown>): void {
  process.stdout.write(`@@replica ${JSON.stringify(event)}\n`);
}

const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(kubeConfigPath);
const leaderElection = {
  name: 'handover-bench',
  namespace,
  identity,
  // Short timings so a crashed leader's lease expires quickly; they do not enter the figure.
  leaseDuration: 2000,
  renewDeadline: 1500,
  retryPeriod: 250,
  releaseOnCancel: true,
  events: false,
};
const manager = createManager({ kubeConfig, leaderElection, registry: new Registry() });
const elector = manager.getElector();
let reportedEpoch: number | undefined;
/** When the elector announced the current term (its write answered), in `performance.now()` ms. */
let notifiedAt = Number.NaN;
let notifiedCpu = process.cpuUsage();
controllerManagedBy(manager)
  .for({ apiVersion: 'v1', kind: 'ConfigMap', namespace })
  .complete({
    reconcile: () => {
      const began = performance.now();
      const term = elector.currentTerm();
      if (term !== undefined && term.epoch !== reportedEpoch) {
        reportedEpoch = term.epoch;
        const cpu = process.cpuUsage(notifiedCpu);
        report({
          event: 'first-reconcile',
          ms: began - term.acquiredAt,
          afterNotification: began - notifiedAt,
          // CPU time this process used meanwhile: far below the wall time, it waited for a core.
          cpuMs: (cpu.user + cpu.system) / 1000,
        });
      }
      return Promise.resolve({});
    },
  });
elector.leadership$.subscribe((leadership) => {
  if (!leadership.leading) return;
  notifiedAt = performance.now();
  notifiedCpu = process.cpuUsage();
  report({ event: 'leading' });
});

const stop = new AbortController();
process.once('SIGTERM', () => {
  stop.abort();
});
const running = manager.start(stop.signal);
if (await cacheFor(manager).waitForCacheSync(stop.signal)) report({ event: 'synced' });
await running;
process.exit(0);
