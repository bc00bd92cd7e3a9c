import { expect } from 'chai';
import { createClient, type KubeObject } from '@kubekit/client';
import { KubeConfig } from '@kubernetes/client-node';
import { startEnvtest, type Envtest } from '@kubekit/envtest';
import { createInformer, type InformerOptions } from '@kubekit/reconcile';
import { Registry } from 'prom-client';
import { eventually } from '../support/eventually.js';

/** The server's kubeconfig, allowed over plain HTTP (client-node requires skipTLSVerify for it). */
function plainHttp(env: Envtest): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: env.kubeConfig.clusters.map((cluster) => ({ ...cluster, skipTLSVerify: true })),
    users: env.kubeConfig.users,
    contexts: env.kubeConfig.contexts,
    currentContext: env.kubeConfig.currentContext,
  });
  return kubeConfig;
}

const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default' } as const;

async function names(env: Envtest): Promise<Map<string, string | undefined>> {
  const admin = createClient({ kubeConfig: plainHttp(env), metrics: null, rateLimit: false });
  try {
    const list = await admin.list(ref);
    return new Map(list.items.map((o) => [o.metadata?.name ?? '', o.metadata?.uid]));
  } finally {
    await admin.close(false);
  }
}

async function write(
  env: Envtest,
  action: (admin: ReturnType<typeof createClient>) => Promise<void>,
): Promise<void> {
  const admin = createClient({ kubeConfig: plainHttp(env), metrics: null, rateLimit: false });
  try {
    await action(admin);
  } finally {
    await admin.close(false);
  }
}

// A restart with a fresh store on the same address needs the same CA: envtest generates a new CA
// at each start, so this runs over plain HTTP (`insecure`), where the address is all that matters.
describe('Informer across an API server restart with a fresh store', () => {
  let first: Envtest | undefined;
  let second: Envtest | undefined;

  afterEach(async () => {
    await first?.stop();
    await second?.stop();
  });

  /**
   * Runs an informer (with `options`) on a first server, restarts the server with a fresh store on
   * the same address, and waits until the informer holds exactly the new server's objects. Returns
   * the names of the deleted objects' events and how long the catch-up took after the restart (ms).
   */
  async function acrossRestart(
    options: Partial<InformerOptions>,
  ): Promise<{ deleted: string[]; tookMs: number }> {
    first = await startEnvtest({ insecure: true });
    const port = Number(new URL(first.url).port);
    await write(first, async (admin) => {
      for (const name of ['old', 'both'])
        await admin.create({ ...ref, metadata: { name, namespace: 'default' } });
      // Move the first server's resourceVersion well past what the second will reach.
      for (let i = 0; i < 30; i++) await admin.patch({ ...ref, name: 'old' }, { data: { i: String(i) } });
    });
    const client = createClient({ kubeConfig: plainHttp(first), metrics: null, rateLimit: false });
    const informer = createInformer({ client, ...ref, backoff: { initialMs: 20, maxMs: 200 }, ...options });
    const deleted: string[] = [];
    const subscription = informer.events().subscribe((e) => {
      if (e.type === 'delete') deleted.push(e.object.metadata?.name ?? '');
    });
    const controller = new AbortController();
    const running = informer.start(controller.signal);
    try {
      expect(await informer.waitForSync()).to.equal(true);
      const oldBoth = informer.get('default/both');

      await first.stop();
      first = undefined;
      // The informer resumes its watch from a resourceVersion the new server has not reached:
      // envtest, as kube-apiserver, answers that with 504 Timeout after about 3 s
      // (futureResourceVersionWaitMs), and a 504 makes the informer list again.
      second = await startEnvtest({ insecure: true, port });
      const restarted = performance.now();
      const env = second;
      await write(env, async (admin) => {
        for (const name of ['both', 'fresh'])
          await admin.create({ ...ref, metadata: { name, namespace: 'default' } });
      });
      const expected = await names(env);

      await eventually(
        () => {
          const cached = informer.list();
          return (
            cached.length === expected.size &&
            cached.every((o: KubeObject) => expected.get(o.metadata?.name ?? '') === o.metadata?.uid)
          );
        },
        "the cache holds exactly the new server's objects",
        { timeoutMs: 15_000 },
      );
      const tookMs = performance.now() - restarted;
      expect(informer.get('default/both')?.metadata?.uid).not.to.equal(oldBoth?.metadata?.uid);
      await eventually(() => informer.healthy(), 'the informer is healthy');
      return { deleted: deleted.sort(), tookMs };
    } finally {
      controller.abort();
      await running;
      subscription.unsubscribe();
      await client.close(false);
    }
  }

  it('sees everything deleted and recreated: old objects deleted, same-named ones replaced, new ones added', async () => {
    // A short inactivity timeout: watch failures in a row (the server down, then silent) may
    // relist it before the 504 comes; either way it must catch up.
    const { deleted } = await acrossRestart({ inactivityTimeoutMs: 300 });
    expect(deleted).to.deep.equal(['both', 'old']);
  });

  it('relists because of the 504 for a resourceVersion the new server has not reached, within seconds', async function () {
    this.timeout(30_000);
    // Neither repeated failures (relistAfterFailures) nor the inactivity timeout (default 120 s)
    // can cause this relist: only the 504.
    const metrics = new Registry();
    const { deleted, tookMs } = await acrossRestart({ relistAfterFailures: 1_000_000, metrics });
    expect(deleted).to.deep.equal(['both', 'old']);
    const failures = await metrics.getSingleMetric('kubekit_informer_watch_failures_total')?.get();
    const reasons = new Set(failures?.values.map((v) => v.labels['reason']));
    expect([...reasons], 'the watch failed with a 504').to.include('api_504');
    const relists = await metrics.getSingleMetric('kubekit_informer_relists_total')?.get();
    expect(relists?.values.map((v) => v.value)).to.deep.equal([1]);
    // The 504 comes after about 3 s; well before any other cause could act.
    expect(tookMs, `caught up ${tookMs.toFixed(0)} ms after the restart`).to.be.below(10_000);
  });
});
