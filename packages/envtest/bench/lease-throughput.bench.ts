/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are plain-data classes; object literals are how its API is meant to be called. */
// Lease GET+PUT throughput: the load a leader puts on the API server, measured through
// client-node and through a raw keep-alive HTTPS client. The server runs in its own process
// (the kubekit-envtest CLI), as kube-apiserver would.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { RawClient, report, startServerProcess } from './support.js';

const DURATION_MS = Number(process.env['BENCH_DURATION_MS'] ?? 2000);
const CONCURRENCY = 16;
const ROUNDS = 3;

interface LeaseBody {
  metadata: { name: string; resourceVersion?: string };
  spec: {
    holderIdentity: string;
    leaseDurationSeconds: number;
    renewTime: string;
    leaseTransitions?: number;
  };
}

const env = await startServerProcess();
try {
  const namespace = 'default';
  const api = env.kubeConfig.makeApiClient(CoordinationV1Api);
  for (let i = 0; i < CONCURRENCY; i += 1) {
    await api.createNamespacedLease({
      namespace,
      body: { metadata: { name: `lease-${i}` }, spec: { holderIdentity: 'bench', leaseDurationSeconds: 15 } },
    });
  }

  // Through client-node: each worker reads its lease and renews it.
  {
    let requests = 0;
    const deadline = performance.now() + DURATION_MS;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, i) => {
        while (performance.now() < deadline) {
          const lease = await api.readNamespacedLease({ namespace, name: `lease-${i}` });
          if (lease.spec) lease.spec.renewTime = new Date();
          await api.replaceNamespacedLease({ namespace, name: `lease-${i}`, body: lease });
          requests += 2;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    report('lease-throughput/client-node', requests / seconds, 'req/s', null, { concurrency: CONCURRENCY });
  }

  // Through a raw keep-alive client: the server's own cost per request. Best of three windows,
  // since the machine may be shared with other work.
  {
    const client = new RawClient(env, CONCURRENCY);
    let failures = 0;
    const rates: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      let requests = 0;
      const deadline = performance.now() + DURATION_MS;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, i) => {
          const path = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/lease-${i}`;
          while (performance.now() < deadline) {
            const read = await client.send('GET', path);
            const lease = read.json as LeaseBody;
            lease.spec.renewTime = new Date().toISOString().replace('Z', '000Z');
            const written = await client.send('PUT', path, lease);
            if (read.status !== 200 || written.status !== 200) failures += 1;
            requests += 2;
          }
        }),
      );
      rates.push(requests / ((performance.now() - started) / 1000));
    }
    client.close();
    report('lease-throughput/raw-keepalive', Math.max(...rates), 'req/s', '>= 5000', {
      concurrency: CONCURRENCY,
      method: `best of ${ROUNDS} x ${DURATION_MS} ms`,
      rounds: rates.map((rate) => Math.round(rate)),
      failures,
    });
  }
} finally {
  await env.stop();
}
