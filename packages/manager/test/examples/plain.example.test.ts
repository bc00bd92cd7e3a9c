import { expect } from 'chai';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { useEnvtest } from '@kubekit/envtest/testing';
import { Registry as TestRegistry } from 'prom-client';
// --- README: plain example ---
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Term } from '@kubekit/leaderelection';
import { createManager, runnable, type Manager } from '@kubekit/manager';
import type { Registry } from 'prom-client';

/** Leader-gated work: runs only while this replica leads, and checks its term before acting. */
async function reconcileLoop(signal: AbortSignal, term: Term): Promise<void> {
  while (!signal.aborted) {
    if (term.isValid()) {
      // … a side effect that two leaders must not both do, fenced by term.epoch …
    }
    await sleep(1_000, undefined, { signal }).catch(() => undefined); // wakes at once on abort
  }
}

export function createOperator(kubeConfig: KubeConfig, namespace: string, registry?: Registry): Manager {
  const manager = createManager({
    kubeConfig,
    leaderElection: { name: 'my-operator', namespace },
    healthProbeBindAddress: '127.0.0.1:0', // in a Pod: ':8081'
    metricsBindAddress: '127.0.0.1:0', // in a Pod: ':8080'
    ...(registry === undefined ? {} : { registry }),
  });
  // Leader-gated (the default): started when a term begins, aborted the instant it ends.
  manager.add(
    runnable(async (signal, context) => {
      if (context?.term !== undefined) await reconcileLoop(signal, context.term);
    }),
  );
  // On every replica: e.g. a webhook server.
  manager.add(
    runnable(
      async (signal) => {
        await new Promise((resolve) => {
          signal.addEventListener('abort', resolve, { once: true });
        });
      },
      { needLeaderElection: false },
    ),
  );
  return manager;
}

// In main():
//   const manager = createOperator(kubeConfig, 'my-namespace');
//   await manager.start(setupSignalHandler()); // rejects on a failure or a loss: exit(1)
// --- end of the README example ---

describe('README example: a plain manager', function () {
  this.timeout(30_000);
  const env = useEnvtest();

  it('leads, runs the gated loop, answers probes, and releases the lease on stop', async () => {
    const manager = createOperator(env.kubeConfig, env.namespace, new TestRegistry());
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    const term = await manager.elected(AbortSignal.timeout(10_000));
    const ready = await fetch(`http://127.0.0.1:${String(manager.ports.healthProbe)}/readyz`);
    expect(await ready.text()).to.equal('ok');
    const metrics = await fetch(`http://127.0.0.1:${String(manager.ports.metrics)}/metrics`);
    expect(await metrics.text()).to.include('kubekit_manager_leader_runnables{lock="lease');
    stop.abort();
    await running;
    expect(term.signal.aborted).to.equal(true);
    const lease = await env.kubeConfig
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: 'my-operator', namespace: env.namespace });
    expect(lease.spec?.holderIdentity ?? '').to.equal('');
  });
});
