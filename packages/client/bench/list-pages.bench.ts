// listAll of 5,000 ConfigMaps in pages of 500 (10 pages, consistent reads as an informer's relist
// makes): pipelined paging (the next page asked for as soon as a page's continue token has arrived)
// against one page after the other (`pipelined: false`), on the same in-process envtest in the
// same run, with 0, 5 and 20 ms of injected server latency per list request (a remote API server
// and its storage). Figures: the median of 7 rounds each, the two modes alternating, spread printed.
// KUBEKIT_BENCH_CONFIGMAPS sets the count.
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { createClient } from '@kubekit/client';
import { startEnvtest } from '@kubekit/envtest';
import { median, reportFigure, spread } from '@kubekit/envtest/bench';
import { createConfigMaps } from './support/config-maps.js';

const COUNT = Number(process.env['KUBEKIT_BENCH_CONFIGMAPS'] ?? '5000');
const PAGE = 500;

const env = await startEnvtest();
const client = createClient({ kubeConfig: env.kubeConfig, rateLimit: false, metrics: null });
try {
  const kind = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default' };
  await createConfigMaps(client, { count: COUNT, namespace: 'default', otherBytes: 160 });
  const r = (x: number): number => Math.round(x * 10) / 10;
  for (const latencyMs of [0, 5, 20]) {
    const fault =
      latencyMs > 0 ? env.faults.add({ verb: 'list', resource: 'configmaps', latencyMs }) : undefined;
    const samples = { sequential: [] as number[], pipelined: [] as number[] };
    const once = async (pipelined: boolean): Promise<number> => {
      const started = performance.now();
      const list = await client.listAll<ConfigMap>(kind, { pageSize: PAGE, pipelined });
      const ms = performance.now() - started;
      if (list.items.length !== COUNT)
        throw new Error(`listed ${String(list.items.length)} of ${String(COUNT)}`);
      return ms;
    };
    await once(true);
    await once(false);
    for (let round = 0; round < 7; round++) {
      if (round % 2 === 0) samples.sequential.push(await once(false));
      samples.pipelined.push(await once(true));
      if (round % 2 === 1) samples.sequential.push(await once(false));
    }
    fault?.remove();
    const ours = median(samples.pipelined);
    const baseline = median(samples.sequential);
    console.log(
      `listAll of ${String(COUNT)} in pages of ${String(PAGE)}, ${String(latencyMs)} ms latency: one page after the other ` +
        `${String(r(baseline))} ms (${spread(samples.sequential)}), pipelined ${String(r(ours))} ms ` +
        `(${spread(samples.pipelined)}): ${(ours / baseline).toFixed(2)}×`,
    );
    reportFigure({
      name: `client/list-pages-${String(COUNT)}-configmaps/latency-${String(latencyMs)}ms`,
      value: r(ours),
      unit: 'ms',
      goal: null,
      baseline: r(baseline),
    });
  }
} finally {
  await client.close();
  await env.stop();
}
