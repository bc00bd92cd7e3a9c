import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { createLeaseElector } from '@kubekit/leaderelection';
import type { Term } from '@kubekit/leaderelection';

// The README's lease-election example, run against envtest: it must compile and work as written.
describe('README example: lease election with observables', function () {
  this.timeout(20_000);
  const env = useEnvtest();

  it('leads, runs the work under the term, and releases on stop', async () => {
    const seen: (string | undefined)[] = [];
    let workSignal: AbortSignal | undefined;
    const work = async (signal: AbortSignal): Promise<void> => {
      workSignal = signal;
      await new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => {
          resolve();
        });
      });
    };

    // --- as in the README (kubeConfig and namespace from envtest, short timings) ---
    const elector = createLeaseElector({
      kubeConfig: env.kubeConfig,
      namespace: env.namespace,
      name: 'my-operator',
      releaseOnCancel: true,
      leaseDuration: 1_000,
      renewDeadline: 600,
      retryPeriod: 200,
      registry: null,
    });
    elector.leader$.subscribe((leader) => seen.push(leader));
    elector.leadership$.subscribe((l) => l.leading && void l.term.track(work(l.term.signal)));
    const stop = new AbortController();
    const running = elector.run(stop.signal);
    // ---

    const term: Term = await elector.whenLeading(AbortSignal.timeout(5_000));
    expect(term.identity).to.equal(elector.identity);
    expect(workSignal?.aborted).to.be.false;
    stop.abort();
    await running;
    expect(workSignal?.aborted).to.be.true;
    expect(seen).to.deep.equal([undefined, elector.identity, undefined]);
  });
});
