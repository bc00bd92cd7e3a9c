// Keep-alive GET + PUT of one Lease, sequentially, as a leader's renew loop does at full speed:
// @kubekit/client against client-node 2.0.1's generated CoordinationV1Api (which opens a new
// connection per request), on the same envtest (a child process) in the same run. Figure:
// requests per second (a GET and a PUT count as two), the median of ROUNDS windows per client,
// the two clients' windows alternating (so that a change of load on the machine hits both).
// Each client first warms up (its code and the server's paths it uses) for WARMUP seconds.
// KUBEKIT_BENCH_SECONDS sets each window (default 1), KUBEKIT_BENCH_ROUNDS their count (default 5),
// KUBEKIT_BENCH_WARMUP_SECONDS the warm-up (default 3).
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment, @typescript-eslint/no-misused-spread -- client-node models are plain-data classes; object literals and spreads are how its API is meant to be used. */
import { CoordinationV1Api } from '@kubernetes/client-node';
import type { V1Lease } from '@kubernetes/client-node';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { createClient } from '@kubekit/client';
import { median, reportFigure, spread, startEnvtestProcess } from './support/envtest-process.js';

const SECONDS = Number(process.env['KUBEKIT_BENCH_SECONDS'] ?? '1');
const ROUNDS = Number(process.env['KUBEKIT_BENCH_ROUNDS'] ?? '5');
const WARMUP = Number(process.env['KUBEKIT_BENCH_WARMUP_SECONDS'] ?? '3');
const NS = 'default';

async function during(ms: number, step: () => Promise<void>): Promise<number> {
  let count = 0;
  const until = performance.now() + ms;
  const started = performance.now();
  while (performance.now() < until) {
    await step();
    count += 2;
  }
  return count / ((performance.now() - started) / 1000);
}

const env = await startEnvtestProcess();
const client = createClient({ kubeConfig: env.kubeConfig, rateLimit: false, metrics: null });
try {
  const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: NS, name: 'bench-kubekit' };
  await client.create<Lease>({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'bench-kubekit', namespace: NS },
    spec: { holderIdentity: 'a', leaseDurationSeconds: 15 },
  });
  let n = 0;
  const kubekitStep = async (): Promise<void> => {
    const lease = await client.get<Lease>(ref);
    lease.spec = { ...lease.spec, holderIdentity: `a${n++}` };
    await client.update(lease);
  };

  const api = env.kubeConfig.makeApiClient(CoordinationV1Api);
  await api.createNamespacedLease({
    namespace: NS,
    body: {
      metadata: { name: 'bench-client-node' },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15 },
    },
  });
  const clientNodeStep = async (): Promise<void> => {
    const lease: V1Lease = await api.readNamespacedLease({ namespace: NS, name: 'bench-client-node' });
    lease.spec = { ...lease.spec, holderIdentity: `a${n++}` };
    await api.replaceNamespacedLease({ namespace: NS, name: 'bench-client-node', body: lease });
  };

  await during(WARMUP * 1000, kubekitStep);
  await during(WARMUP * 1000, clientNodeStep);
  const rates = { kubekit: [] as number[], clientNode: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which client goes first, so that neither always follows the other.
    if (round % 2 === 0) rates.clientNode.push(await during(SECONDS * 1000, clientNodeStep));
    rates.kubekit.push(await during(SECONDS * 1000, kubekitStep));
    if (round % 2 === 1) rates.clientNode.push(await during(SECONDS * 1000, clientNodeStep));
  }
  const baseline = median(rates.clientNode);
  const value = median(rates.kubekit);
  const ratios = rates.kubekit.map((rate, i) => rate / (rates.clientNode[i] ?? Number.NaN));
  const round = (x: number): number => Math.round(x);
  console.log(
    `client-node: ${round(baseline)} req/s (${spread(rates.clientNode, 0)}); @kubekit/client: ${round(value)} req/s (${spread(rates.kubekit, 0)}); ` +
      `${(value / baseline).toFixed(1)}× (per round ${spread(ratios)}×), ${ROUNDS} rounds of ${SECONDS} s`,
  );
  reportFigure({
    name: 'client/lease-get-put/requests-per-s',
    value: round(value),
    unit: 'req/s',
    goal: `>= ${round(baseline * 10)}`,
    baseline: round(baseline),
  });
} finally {
  await client.close();
  await env.stop();
}
