// A list of 10,000 ConfigMaps in one request: @kubekit/client (plain JSON) against client-node
// 2.0.1's generated CoreV1Api (model classes), on the same envtest (a child process) in the same
// run. Figures: time of the list (median of 5, alternating), and the live heap the listed items
// hold (after full GCs, median of 3). KUBEKIT_BENCH_CONFIGMAPS sets the count.
import { CoreV1Api } from '@kubernetes/client-node';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { createClient } from '@kubekit/client';
import { liveHeap, median, reportFigure, startEnvtestProcess } from './support/envtest-process.js';

const COUNT = Number(process.env['KUBEKIT_BENCH_CONFIGMAPS'] ?? '10000');
const NS = 'default';

const env = await startEnvtestProcess();
const client = createClient({ kubeConfig: env.kubeConfig, rateLimit: false, metrics: null });
try {
  const kind = { apiVersion: 'v1', kind: 'ConfigMap', namespace: NS };
  for (let i = 0; i < COUNT; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, COUNT - i) }, (_, j) =>
        client.create<ConfigMap>({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `cm-${i + j}`, namespace: NS, labels: { app: 'bench', index: String(i + j) } },
          data: { key: `value-${i + j}`, other: 'x'.repeat(64) },
        }),
      ),
    );
  }
  const api = env.kubeConfig.makeApiClient(CoreV1Api);
  const kubekitList = async (): Promise<unknown[]> => (await client.list<ConfigMap>(kind)).items;
  const clientNodeList = async (): Promise<unknown[]> =>
    (await api.listNamespacedConfigMap({ namespace: NS })).items;

  async function timed(list: () => Promise<unknown[]>): Promise<number> {
    const started = performance.now();
    const items = await list();
    const ms = performance.now() - started;
    if (items.length !== COUNT) throw new Error(`listed ${items.length} of ${COUNT}`);
    return ms;
  }
  async function heldHeap(list: () => Promise<unknown[]>): Promise<number> {
    const before = liveHeap();
    const items = await list();
    const held = liveHeap() - before;
    if (items.length !== COUNT) throw new Error(`listed ${items.length} of ${COUNT}`);
    return held;
  }

  await timed(kubekitList);
  await timed(clientNodeList);
  const times = { kubekit: [] as number[], clientNode: [] as number[] };
  for (let round = 0; round < 5; round++) {
    times.clientNode.push(await timed(clientNodeList));
    times.kubekit.push(await timed(kubekitList));
  }
  const heaps = { kubekit: [] as number[], clientNode: [] as number[] };
  for (let round = 0; round < 3; round++) {
    heaps.clientNode.push(await heldHeap(clientNodeList));
    heaps.kubekit.push(await heldHeap(kubekitList));
  }
  const ms = { kubekit: median(times.kubekit), clientNode: median(times.clientNode) };
  const mb = { kubekit: median(heaps.kubekit) / 2 ** 20, clientNode: median(heaps.clientNode) / 2 ** 20 };
  const r = (x: number): number => Math.round(x * 10) / 10;
  console.log(
    `list ${COUNT}: client-node ${r(ms.clientNode)} ms, ${r(mb.clientNode)} MB; @kubekit/client ${r(ms.kubekit)} ms, ${r(mb.kubekit)} MB`,
  );
  reportFigure({
    name: 'client/list-10000-configmaps/time',
    value: r(ms.kubekit),
    unit: 'ms',
    goal: `<= ${r(ms.clientNode / 2)}`,
    baseline: r(ms.clientNode),
  });
  reportFigure({
    name: 'client/list-10000-configmaps/heap',
    value: r(mb.kubekit),
    unit: 'MB',
    goal: `<= ${r(mb.clientNode / 2)}`,
    baseline: r(mb.clientNode),
  });
} finally {
  await client.close();
  await env.stop();
}
