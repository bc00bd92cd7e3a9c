// A list of 10,000 ConfigMaps in one request: @kubekit/client (plain JSON) against client-node
// 2.0.1's generated CoreV1Api (model classes), on the same envtest (a child process) in the same
// run. Figures (each the median of its rounds, the two clients alternating, spread printed):
// - time: of one list call (7 rounds);
// - heap: the memory the listed items hold once the call returned: the live memory after full GCs
//   while holding the items, minus before the call (5 rounds). This is what an informer's cache of
//   these objects costs;
// - peak heap: the most memory in use during the call above the live memory before it (the
//   response's bytes and text, parsed objects, conversions; 5 rounds): a list at its worst moment.
// Memory means the V8 heap plus the external memory V8 accounts for (`heapUsed + external`: the
// response's Buffers, and large strings decoded from them, live outside the V8 heap) for both.
// KUBEKIT_BENCH_CONFIGMAPS sets the count.
import { CoreV1Api } from '@kubernetes/client-node';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { createClient } from '@kubekit/client';
import { median, reportFigure, spread, startEnvtestProcess } from '@kubekit/envtest/bench';
import { liveHeap, peakHeap } from './support/heap.js';
import { createConfigMaps } from './support/config-maps.js';

const COUNT = Number(process.env['KUBEKIT_BENCH_CONFIGMAPS'] ?? '10000');
const NS = 'default';

const env = await startEnvtestProcess();
const client = createClient({ kubeConfig: env.kubeConfig, rateLimit: false, metrics: null });
try {
  const kind = { apiVersion: 'v1', kind: 'ConfigMap', namespace: NS };
  await createConfigMaps(client, {
    count: COUNT,
    namespace: NS,
    otherBytes: 64,
    labels: (i) => ({ index: String(i) }),
  });
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

  async function peak(list: () => Promise<unknown[]>): Promise<number> {
    const { value: items, peak: bytes } = await peakHeap(list);
    if (items.length !== COUNT) throw new Error(`listed ${items.length} of ${COUNT}`);
    return bytes;
  }

  await timed(kubekitList);
  await timed(clientNodeList);
  interface Samples {
    kubekit: number[];
    clientNode: number[];
  }
  /** `rounds` samples of `measure` per client, alternating which goes first. */
  async function alternate(
    rounds: number,
    measure: (list: () => Promise<unknown[]>) => Promise<number>,
  ): Promise<Samples> {
    const samples: Samples = { kubekit: [], clientNode: [] };
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) samples.clientNode.push(await measure(clientNodeList));
      samples.kubekit.push(await measure(kubekitList));
      if (round % 2 === 1) samples.clientNode.push(await measure(clientNodeList));
    }
    return samples;
  }
  const times = await alternate(7, timed);
  const heaps = await alternate(5, heldHeap);
  const peaks = await alternate(5, peak);
  const r = (x: number): number => Math.round(x * 10) / 10;
  const mb = (bytes: readonly number[]): number[] => bytes.map((b) => b / 2 ** 20);
  const report = (figure: string, unit: string, samples: Samples): void => {
    const value = median(samples.kubekit);
    const baseline = median(samples.clientNode);
    console.log(
      `${figure}: client-node ${r(baseline)} ${unit} (${spread(samples.clientNode)}), @kubekit/client ${r(value)} ${unit} (${spread(samples.kubekit)}): ${(value / baseline).toFixed(2)}×`,
    );
    reportFigure({
      name: `client/list-10000-configmaps/${figure}`,
      value: r(value),
      unit,
      goal: `<= ${r(baseline / 2)}`,
      baseline: r(baseline),
    });
  };
  console.log(`list of ${COUNT} ConfigMaps:`);
  report('time', 'ms', times);
  report('heap', 'MB', { kubekit: mb(heaps.kubekit), clientNode: mb(heaps.clientNode) });
  report('peak-heap', 'MB', { kubekit: mb(peaks.kubekit), clientNode: mb(peaks.clientNode) });
} finally {
  await client.close();
  await env.stop();
}
