// Initial sync of an informer over 10,000 ConfigMaps (about 200 bytes of data each) on envtest (a
// child process): @kubekit/reconcile's informer beside client-node 2.0.1's `makeInformer` on the
// same server in the same run. Figures: time from start to synced (median of 9 rounds, which
// informer goes first alternating), and the live heap the synced cache holds per object (after
// full GCs, median of the same rounds). Our informer's
// first list asks for resourceVersion "0" with a limit, as client-go's reflector does: a watch cache
// (kube-apiserver's, envtest's store) answers it from memory in one piece. Then the same on
// ConfigMaps that carry `metadata.managedFields` (one kubectl-apply entry, as objects written by
// kubectl or controllers have), which our default transform drops and client-node keeps.
// KUBEKIT_BENCH_CONFIGMAPS sets the count.
import { CoreV1Api, makeInformer, type KubeConfig } from '@kubernetes/client-node';
import { createClient, type KubeClient, type KubeObject } from '@kubekit/client';
import { createInformer } from '@kubekit/reconcile';
import { median, reportFigure, spread, startEnvtestProcess } from '@kubekit/envtest/bench';
import { liveHeap } from './support/live-heap.js';

const COUNT = Number(process.env['KUBEKIT_BENCH_CONFIGMAPS'] ?? '10000');
/** Rounds of each informer (their order alternating); the figures are medians. */
const ROUNDS = 9;

function managedFields(i: number): NonNullable<NonNullable<KubeObject['metadata']>['managedFields']> {
  return [
    {
      manager: 'kubectl-client-side-apply',
      operation: 'Update',
      apiVersion: 'v1',
      time: '2026-01-01T00:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:data': { '.': {}, 'f:key': {}, 'f:other': {} },
        'f:metadata': {
          'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} },
          'f:labels': { '.': {}, 'f:app': {}, 'f:index': {} },
        },
      },
    },
    {
      manager: `controller-${String(i % 7)}`,
      operation: 'Update',
      apiVersion: 'v1',
      time: '2026-01-01T00:00:01Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { 'f:owner': {} } } },
    },
  ];
}

async function seed(client: KubeClient, namespace: string, withManagedFields: boolean): Promise<void> {
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  for (let i = 0; i < COUNT; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, COUNT - i) }, (_, j) => {
        const n = i + j;
        return client.create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: `cm-${String(n)}`,
            namespace,
            labels: { app: 'bench', index: String(n) },
            ...(withManagedFields ? { managedFields: managedFields(n) } : {}),
          },
          data: { key: `value-${String(n)}`, other: 'x'.repeat(160) },
        });
      }),
    );
  }
}

interface Synced {
  readonly ms: number;
  readonly size: () => number;
  stop(): Promise<void>;
}

async function kubekitInformer(client: KubeClient, namespace: string): Promise<Synced> {
  const informer = createInformer({ client, apiVersion: 'v1', kind: 'ConfigMap', namespace });
  const controller = new AbortController();
  const started = performance.now();
  const running = informer.start(controller.signal);
  await informer.waitForSync();
  const ms = performance.now() - started;
  return {
    ms,
    size: () => informer.list().length,
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}

async function clientNodeInformer(kubeConfig: KubeConfig, namespace: string): Promise<Synced> {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const informer = makeInformer(kubeConfig, `/api/v1/namespaces/${namespace}/configmaps`, () =>
    api.listNamespacedConfigMap({ namespace }),
  );
  informer.on('error', () => {
    // Stopped watches report here; the benchmark only reads the synced cache.
  });
  const started = performance.now();
  await informer.start();
  const ms = performance.now() - started;
  return {
    ms,
    size: () => informer.list().length,
    stop: () => informer.stop(),
  };
}

async function measure(open: () => Promise<Synced>): Promise<{ ms: number; heap: number }> {
  // Let the previous informer's stopped watch and buffers go before taking the baseline.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const before = liveHeap();
  const synced = await open();
  if (synced.size() !== COUNT) throw new Error(`synced ${String(synced.size())} of ${String(COUNT)}`);
  const heap = liveHeap() - before;
  await synced.stop();
  return { ms: synced.ms, heap };
}

const env = await startEnvtestProcess();
const client = createClient({ kubeConfig: env.kubeConfig, rateLimit: false, metrics: null });
const r = (x: number): number => Math.round(x * 10) / 10;
try {
  for (const [label, namespace, withManaged] of [
    ['', 'bench-plain', false],
    ['-managed-fields', 'bench-managed', true],
  ] as const) {
    await seed(client, namespace, withManaged);
    const ours = { ms: [] as number[], heap: [] as number[] };
    const theirs = { ms: [] as number[], heap: [] as number[] };
    await measure(() => kubekitInformer(client, namespace));
    await measure(() => clientNodeInformer(env.kubeConfig, namespace));
    for (let round = 0; round < ROUNDS; round++) {
      // Which informer goes first alternates, so that neither always meets the other's garbage.
      const order = round % 2 === 0 ? ['theirs', 'ours'] : ['ours', 'theirs'];
      for (const who of order) {
        const sample =
          who === 'theirs'
            ? await measure(() => clientNodeInformer(env.kubeConfig, namespace))
            : await measure(() => kubekitInformer(client, namespace));
        const into = who === 'theirs' ? theirs : ours;
        into.ms.push(sample.ms);
        into.heap.push(sample.heap);
      }
    }
    const ms = { ours: median(ours.ms), theirs: median(theirs.ms) };
    const kb = { ours: median(ours.heap) / COUNT / 1024, theirs: median(theirs.heap) / COUNT / 1024 };
    console.log(
      `sync ${String(COUNT)} ConfigMaps${label}: client-node makeInformer ${String(r(ms.theirs))} ms ` +
        `(${spread(theirs.ms)}), ${kb.theirs.toFixed(2)} KB/object; @kubekit/reconcile ${String(r(ms.ours))} ms ` +
        `(${spread(ours.ms)}; ${(ms.ours / ms.theirs).toFixed(2)}× its time), ${kb.ours.toFixed(2)} KB/object`,
    );
    reportFigure({
      name: `reconcile/informer-sync-10000-configmaps${label}/time`,
      value: r(ms.ours),
      unit: 'ms',
      goal: `<= ${String(r(ms.theirs / 2))}`,
      baseline: r(ms.theirs),
    });
    const heapGoal = withManaged ? kb.theirs / 2 : kb.theirs;
    reportFigure({
      name: `reconcile/informer-sync-10000-configmaps${label}/heap-per-object`,
      value: Math.round(kb.ours * 100) / 100,
      unit: 'KB',
      goal: `<= ${(Math.round(heapGoal * 100) / 100).toFixed(2)}`,
      baseline: Math.round(kb.theirs * 100) / 100,
    });
  }
} finally {
  await client.close(false);
  await env.stop();
}
