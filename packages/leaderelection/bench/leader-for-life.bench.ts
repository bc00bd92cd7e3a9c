// Takeover latency of leader-for-life after the leader's Pod is removed, on envtest over HTTPS with
// its garbage collector, beside operator-lib's `leader.Become` schedule for the same removals.
//
// Each run: Pod A leads, Pod B follows (default options: backoff 1 s … 16 s); after B has waited
// `offset` since it read A's lock (spread over 0.5 … 40 s, so the baseline's schedule is seen at
// every stage including its 16 s cap) A's process stops and its Pod is deleted (grace period 0);
// latency = until B leads. The runs go concurrently (each with its own lock and Pods), so the whole
// takes ~45 s.
//
// Baseline: operator-lib retries the create after 1, 2, 4, 8, 16, 16, … s (nominal, without its
// +0–20% jitter), i.e. at 1, 3, 7, 15, 31, 47, … s after it started waiting. For the same removal
// time and the same moment the lock was observed gone (GC), its latency is the first retry at or
// after that moment, minus the removal time, plus the create round trip we measured.
import {
  CoreV1Api,
  V1ConfigMap,
  V1Container,
  V1Node,
  V1ObjectMeta,
  V1Pod,
  V1PodSpec,
} from '@kubernetes/client-node';
import { startEnvtest } from '@kubekit/envtest';
import { filter, firstValueFrom } from 'rxjs';
import { LeaderForLifeElector } from '@kubekit/leaderelection';
import { percentile, reportFigure } from '@kubekit/envtest/bench';
import { sleep } from '../test/support/wait.js';

const RUNS = 20;
const NS = 'default';
const GC_DELAY_MS = 0;
const OPERATOR_LIB_BACKOFF_S = [1, 2, 4, 8, 16];

/** operator-lib's retry times (ms since the follower began waiting) until past `untilMs`. */
function operatorLibRetryTimes(untilMs: number): number[] {
  const times: number[] = [];
  let at = 0;
  for (let i = 0; at <= untilMs; i += 1) {
    at += 1000 * (OPERATOR_LIB_BACKOFF_S[Math.min(i, OPERATOR_LIB_BACKOFF_S.length - 1)] ?? 16);
    times.push(at);
  }
  return times;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

// Bookmarks about as rare as kube-apiserver's, so that followers waiting over 30 s also go through
// client-node 2.0.1's inactivity timeout and watch again.
const env = await startEnvtest({ gcDelayMs: GC_DELAY_MS, bookmarkIntervalMs: 60_000 });
const admin = env.kubeConfig.makeApiClient(CoreV1Api);
await admin.createNode({
  body: Object.assign(new V1Node(), { metadata: Object.assign(new V1ObjectMeta(), { name: 'node-1' }) }),
});
await env.cluster.setNodeReady('node-1', 'True');

async function createPod(name: string): Promise<void> {
  const container = Object.assign(new V1Container(), { name: 'operator', image: 'example.com/operator:1' });
  await admin.createNamespacedPod({
    namespace: NS,
    body: Object.assign(new V1Pod(), {
      metadata: Object.assign(new V1ObjectMeta(), { name, namespace: NS }),
      spec: Object.assign(new V1PodSpec(), { nodeName: 'node-1', containers: [container] }),
    }),
  });
}

interface Run {
  readonly latencyMs: number;
  /** Until B's watch showed the lock deleted (the delete request, GC, watch delivery). */
  readonly observedMs: number;
  readonly baselineMs: number;
}

/** An elector in Pod `podName` (as the envtest user of that name) on lock `lockName`, running. */
function elect(
  lockName: string,
  podName: string,
): { elector: LeaderForLifeElector; stop: AbortController; running: Promise<void> } {
  const elector = new LeaderForLifeElector({
    lockName,
    namespace: NS,
    podName,
    kubeConfig: env.kubeConfigFor(podName),
  });
  const stop = new AbortController();
  return { elector, stop, running: elector.run(stop.signal) };
}

async function run(i: number): Promise<Run> {
  const lockName = `bench-lock-${i}`;
  const [podA, podB] = [`bench-a-${i}`, `bench-b-${i}`];
  await createPod(podA);
  await createPod(podB);
  env.addUser(podA);
  env.addUser(podB);
  const a = elect(lockName, podA);
  await a.elector.whenLeading();

  const b = elect(lockName, podB);
  // B waits from the moment it has read A's lock (under the load of every run starting at once,
  // that takes up to about half a second).
  await firstValueFrom(b.elector.leader$.pipe(filter((leader) => leader === podA)));
  const followingSince = performance.now();
  const offsetMs = 500 + (i * (40_000 - 500)) / (RUNS - 1);
  await sleep(offsetMs - (performance.now() - followingSince));

  a.stop.abort();
  await a.running;
  let observed = NaN;
  const watching = b.elector.leader$.subscribe((leader) => {
    if (leader === undefined && Number.isNaN(observed)) observed = performance.now();
  });
  const removed = performance.now();
  await admin.deleteNamespacedPod({ name: podA, namespace: NS, gracePeriodSeconds: 0 });
  await b.elector.whenLeading();
  const led = performance.now();
  watching.unsubscribe();
  b.stop.abort();
  await b.running;

  // For the baseline: when was the lock gone (GC), and how long does one create take?
  const goneAt = removed + GC_DELAY_MS;
  const createStarted = performance.now();
  await admin.createNamespacedConfigMap({
    namespace: NS,
    body: Object.assign(new V1ConfigMap(), {
      metadata: Object.assign(new V1ObjectMeta(), { name: `${lockName}-probe` }),
    }),
  });
  const createMs = performance.now() - createStarted;
  const retry =
    operatorLibRetryTimes(goneAt - followingSince).find((at) => followingSince + at >= goneAt) ?? NaN;
  return {
    latencyMs: led - removed,
    observedMs: observed - removed,
    baselineMs: followingSince + retry - removed + createMs,
  };
}

const results = await Promise.all(Array.from({ length: RUNS }, (_, i) => run(i)));
await env.stop();

const latencies = results.map((r) => r.latencyMs);
const baselines = results.map((r) => r.baselineMs);
console.log(`runs: ${RUNS}; GC delay ${GC_DELAY_MS} ms; removal 0.5 … 40 s after the follower began waiting`);
console.log(`kubekit latencies (ms): ${latencies.map((v) => round(v)).join(', ')}`);
console.log(
  `of which until the deletion was seen (ms): ${results.map((r) => round(r.observedMs)).join(', ')}`,
);
console.log(`operator-lib schedule (ms): ${baselines.map((v) => Math.round(v)).join(', ')}`);
for (const p of [50, 99]) {
  reportFigure({
    name: `leaderelection/leader-for-life/takeover-p${p}`,
    value: round(percentile(latencies, p)),
    unit: 'ms',
    goal: null,
    baseline: round(percentile(baselines, p)),
  });
}
