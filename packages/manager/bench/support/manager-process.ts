// One replica for the manager benchmark: a Manager with lease election at the default timings
// (15 s / 10 s / 2 s), `onLeadershipLost: 'recampaign'`, and GATED leader-gated runnables. It
// prints one JSON line per event on stdout, stamped with `performance.timeOrigin + performance.now()`
// (comparable between processes of one machine to well under a millisecond):
//
//   {"event":"up"}                                  the manager runs (campaigning)
//   {"event":"acquired","at":…,"epoch":…}           the elector reported acquisition
//   {"event":"gated-started","at":…,"epoch":…,"acquireToStartMs":…,"acquireToStartCpuMs":…}
//                                                   first gated runnable started (wall and CPU time
//                                                   since the acquisition was reported)
//   {"event":"loss","at":…,"lossToAllAbortedMs":…}  a term ended by a loss; every gated runnable saw its abort
//   {"event":"released","at":…}                     the elector wrote the empty holder (graceful stop)
//
// Usage: node manager-process.js <kubeconfig> <identity> <namespace> <lease>
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { Manager, runnable, setupSignalHandler } from '@kubekit/manager';
import type { Logger } from '@kubekit/leaderelection';

const GATED = 10;
const [kubeconfigPath, identity, namespace, lease] = process.argv.slice(2);
if (
  kubeconfigPath === undefined ||
  identity === undefined ||
  namespace === undefined ||
  lease === undefined
) {
  throw new Error('usage: manager-process <kubeconfig> <identity> <namespace> <lease>');
}

const stamp = (): number => performance.timeOrigin + performance.now();
const emit = (event: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
};

const logger: Logger = {
  debug: () => undefined,
  info: (_fields, message) => {
    if (message === 'released the lease') emit('released', { at: stamp() });
  },
  warn: () => undefined,
  error: (fields, message) => {
    process.stderr.write(`${identity}: ${message} ${JSON.stringify(fields)}\n`);
  },
};

const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(kubeconfigPath);
kubeConfig.setCurrentContext(identity);
const manager = new Manager({
  kubeConfig,
  registry: new Registry(),
  logger,
  leaderElection: { name: lease, namespace, identity },
  onLeadershipLost: 'recampaign',
});

let acquiredAt = 0;
let cpuAtAcquire = process.cpuUsage();
let startedInTerm = -1;
let abortsPending = 0;
let termEndedAt = 0;
manager.leadership$.subscribe((leadership) => {
  if (!leadership.leading) return;
  acquiredAt = performance.now();
  cpuAtAcquire = process.cpuUsage();
  const { term } = leadership;
  emit('acquired', { at: stamp(), epoch: term.epoch });
  abortsPending = GATED;
  term.signal.addEventListener('abort', () => {
    termEndedAt = performance.now();
  });
});

for (let i = 0; i < GATED; i++) {
  manager.add(
    runnable(async (signal, context) => {
      const epoch = context?.term?.epoch ?? -1;
      if (startedInTerm !== epoch) {
        startedInTerm = epoch;
        const acquireToStartMs = performance.now() - acquiredAt;
        const cpu = process.cpuUsage(cpuAtAcquire);
        emit('gated-started', {
          at: stamp(),
          epoch,
          acquireToStartMs,
          acquireToStartCpuMs: (cpu.user + cpu.system) / 1000,
        });
      }
      await new Promise<void>((resolve) => {
        signal.addEventListener(
          'abort',
          () => {
            abortsPending -= 1;
            const lost =
              context?.term?.signal.aborted === true &&
              (context.term.signal.reason as { kind?: string }).kind === 'lost';
            if (abortsPending === 0 && lost) {
              emit('loss', { at: stamp(), lossToAllAbortedMs: performance.now() - termEndedAt });
            }
            resolve();
          },
          { once: true },
        );
      });
    }),
  );
}

const signal = setupSignalHandler();
const running = manager.start(signal);
emit('up');
await running;
