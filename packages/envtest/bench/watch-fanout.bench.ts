// Watch fan-out: how long one Lease update takes to reach 100 watchers (client-go's follower
// pattern: each watches the lock with fieldSelector=metadata.name=<lock>). The server runs in
// its own process (the kubekit-envtest CLI); the latency is from sending the update to the
// 100th watcher receiving it.
import { percentile, RawClient, report, startServerProcess } from './support.js';

const WATCHERS = 100;
const UPDATES = Number(process.env['BENCH_UPDATES'] ?? 300);
const WARM_UP = 30;
/** Pause between updates: a leader renews every retryPeriod, not back to back. */
const GAP_MS = 5;

interface LeaseBody {
  metadata: { name: string; resourceVersion: string };
  spec: { holderIdentity: string };
}

const env = await startServerProcess();
const client = new RawClient(env, 4);
const closers: (() => void)[] = [];
try {
  const path = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
  const created = await client.send('POST', path, {
    metadata: { name: 'lock' },
    spec: { holderIdentity: 'a', leaseDurationSeconds: 15 },
  });
  let lease = created.json as LeaseBody;
  let waiting:
    { rv: string; sent: number; pending: number; resolve: (latencyMs: number) => void } | undefined;
  for (let i = 0; i < WATCHERS; i += 1) {
    closers.push(
      await client.watch(
        `${path}?watch=true&fieldSelector=metadata.name%3Dlock&resourceVersion=${lease.metadata.resourceVersion}`,
        (line) => {
          const current = waiting;
          if (!current || !line.includes(`"resourceVersion":"${current.rv}"`)) return;
          current.pending -= 1;
          if (current.pending === 0) current.resolve(performance.now() - current.sent);
        },
      ),
    );
  }
  const latencies: number[] = [];
  for (let i = 0; i < WARM_UP + UPDATES; i += 1) {
    lease.spec.holderIdentity = `holder-${i}`;
    const sent = performance.now();
    let resolve: (latencyMs: number) => void = () => undefined;
    const reached = new Promise<number>((r) => (resolve = r));
    // The resourceVersion of the write is not known before the answer: count on the next one.
    waiting = { rv: String(Number(lease.metadata.resourceVersion) + 1), sent, pending: WATCHERS, resolve };
    const written = await client.send('PUT', `${path}/lock`, lease);
    lease = written.json as LeaseBody;
    if (lease.metadata.resourceVersion !== waiting.rv) throw new Error('unexpected resourceVersion');
    const latency = await reached;
    if (i >= WARM_UP) latencies.push(latency);
    await new Promise((r) => setTimeout(r, GAP_MS));
  }
  report('watch-fanout/100-watchers-p50', percentile(latencies, 50), 'ms', null, { updates: UPDATES });
  report('watch-fanout/100-watchers-p99', percentile(latencies, 99), 'ms', '<= 5', { updates: UPDATES });
  report('watch-fanout/100-watchers-max', Math.max(...latencies), 'ms', null, { updates: UPDATES });
} finally {
  for (const close of closers) close();
  client.close();
  await env.stop();
}
