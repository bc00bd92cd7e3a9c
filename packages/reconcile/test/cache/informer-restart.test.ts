import { expect } from 'chai';
import { createClient, type KubeObject } from '@kubekit/client';
import { KubeConfig } from '@kubernetes/client-node';
import { startEnvtest, type Envtest } from '@kubekit/envtest';
import { createInformer } from '@kubekit/reconcile';
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

  it('sees everything deleted and recreated: old objects deleted, same-named ones replaced, new ones added', async () => {
    first = await startEnvtest({ insecure: true });
    const port = Number(new URL(first.url).port);
    await write(first, async (admin) => {
      for (const name of ['old', 'both'])
        await admin.create({ ...ref, metadata: { name, namespace: 'default' } });
      // Move the first server's resourceVersion well past what the second will reach.
      for (let i = 0; i < 30; i++) await admin.patch({ ...ref, name: 'old' }, { data: { i: String(i) } });
    });
    const client = createClient({ kubeConfig: plainHttp(first), metrics: null, rateLimit: false });
    const informer = createInformer({
      client,
      ...ref,
      inactivityTimeoutMs: 300,
      backoff: { initialMs: 20, maxMs: 200 },
    });
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
      // kube-apiserver answers a watch from a resourceVersion it has not reached with 504 after
      // 3 s, and the informer relists at once; envtest instead waits silently (and would send
      // bookmarks meanwhile), so here the informer relists after repeated inactivity timeouts.
      second = await startEnvtest({ insecure: true, port });
      const env = second;
      await write(env, async (admin) => {
        for (const name of ['both', 'fresh'])
          await admin.create({ ...ref, metadata: { name, namespace: 'default' } });
      });
      const expected = await names(env);

      await eventually(() => {
        const cached = informer.list();
        return (
          cached.length === expected.size &&
          cached.every((o: KubeObject) => expected.get(o.metadata?.name ?? '') === o.metadata?.uid)
        );
      }, "the cache holds exactly the new server's objects");
      expect(deleted.sort()).to.deep.equal(['both', 'old']);
      expect(informer.get('default/both')?.metadata?.uid).not.to.equal(oldBoth?.metadata?.uid);
      await eventually(() => informer.healthy(), 'the informer is healthy');
    } finally {
      controller.abort();
      await running;
      subscription.unsubscribe();
      await client.close(false);
    }
  });
});
