// Keep-alive GET + PUT of one Lease, sequentially, as a leader's renew loop does at full speed:
// @kubekit/client against client-node 2.0.1's generated CoordinationV1Api (which opens a new
// connection per request), on the same envtest (a child process, serving HTTP/2 and HTTP/1.1) in
// the same run. @kubekit/client runs twice: over keep-alive HTTP/1.1 (`allowH2: false`: the goal
// figure, the "keep-alive") and over HTTP/2 (what it negotiates by default; reported
// beside it without a goal). Figure: requests per second (a GET and a PUT count as two), the
// median of ROUNDS windows per client, the clients' windows alternating (so that a change of
// load on the machine hits all of them).
// Each client first warms up (its code and the server's paths it uses) for WARMUP seconds.
// KUBEKIT_BENCH_SECONDS sets each window (default 1), KUBEKIT_BENCH_ROUNDS their count (default 5),
// KUBEKIT_BENCH_WARMUP_SECONDS the warm-up (default 3).
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment, @typescript-eslint/no-misused-spread -- client-node models are plain-data classes; object literals and spreads are how its API is meant to be used. */
import { CoordinationV1Api } from '@kubernetes/client-node';
import type { V1Lease } from '@kubernetes/client-node';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { createClient } from '@kubekit/client';
import { median, reportFigure, spread, startEnvtestProcess } from '@kubekit/envtest/bench';

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
const client = createClient({ kubeConfig: env.kubeConfig, rateLimit: false, metrics: null, allowH2: false });
const h2Client = createClient({ kubeConfig: env.kubeConfig, rateLimit: false, metrics: null });
let n = 0;
/** A GET + PUT step of `kubekit` on its own Lease `name` (created here). */
async function kubekitStepOf(kubekit: typeof client, name: string): Promise<() => Promise<void>> {
  const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: NS, name };
  await kubekit.create<Lease>({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: NS },
    spec: { holderIdentity: 'a', leaseDurationSeconds: 15 },
  });
  return async (): Promise<void> => {
    const lease = await kubekit.get<Lease>(ref);
    lease.spec = { ...lease.spec, holderIdentity: `a${n++}` };
    await kubekit.update(lease);
  };
}
try {
  const kubekitStep = await kubekitStepOf(client, 'bench-kubekit');
  const h2Step = await kubekitStepOf(h2Client, 'bench-kubekit-h2');

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
  await during(WARMUP * 1000, h2Step);
  await during(WARMUP * 1000, clientNodeStep);
  const rates = { kubekit: [] as number[], h2: [] as number[], clientNode: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which client goes first, so that neither always follows the other.
    if (round % 2 === 0) rates.clientNode.push(await during(SECONDS * 1000, clientNodeStep));
    rates.kubekit.push(await during(SECONDS * 1000, kubekitStep));
    rates.h2.push(await during(SECONDS * 1000, h2Step));
    if (round % 2 === 1) rates.clientNode.push(await during(SECONDS * 1000, clientNodeStep));
  }
  const baseline = median(rates.clientNode);
  const value = median(rates.kubekit);
  const ratios = rates.kubekit.map((rate, i) => rate / (rates.clientNode[i] ?? Number.NaN));
  const round = (x: number): number => Math.round(x);
  console.log(
    `client-node: ${round(baseline)} req/s (${spread(rates.clientNode, 0)}); @kubekit/client over keep-alive HTTP/1.1: ${round(value)} req/s (${spread(rates.kubekit, 0)}); ` +
      `${(value / baseline).toFixed(1)}× (per round ${spread(ratios)}×), ${ROUNDS} rounds of ${SECONDS} s`,
  );
  const h2 = median(rates.h2);
  console.log(
    `@kubekit/client over HTTP/2: ${round(h2)} req/s (${spread(rates.h2, 0)}); ${(h2 / baseline).toFixed(1)}× client-node`,
  );
  reportFigure({
    name: 'client/lease-get-put/requests-per-s',
    value: round(value),
    unit: 'req/s',
    goal: `>= ${round(baseline * 10)}`,
    baseline: round(baseline),
  });
  reportFigure({
    name: 'client/lease-get-put/requests-per-s-http2',
    value: round(h2),
    unit: 'req/s',
    goal: null,
    baseline: round(baseline),
  });
} finally {
  await h2Client.close();
  await client.close();
  await env.stop();
}
