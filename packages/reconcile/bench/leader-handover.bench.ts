// A new leader's first reconcile after acquisition, with warm caches: two replicas (separate Node
// processes, support/handover-replica.ts) run a Manager with a lease elector and one controller
// for 100 ConfigMaps on envtest (a child process). Before every handover the follower's cache has
// synced (it warms up while following); then the leader is stopped, alternately gracefully
// (SIGTERM: it releases the lease) and killed (SIGKILL: its lease expires), and the follower
// reports the time from its acquisition (its acquiring lock write answered: the elector announces
// the term synchronously then) to the start of its first reconcile: the goal figures. Beside them,
// for information, the time from the elector's acquisition timestamp (`term.acquiredAt`, taken
// when that write was sent, so the write's round trip to the API server is included).
// A fresh replica replaces the old leader each time. Figures: p50 and p99 over the handovers.
// There is no baseline that could run here (controller-runtime is Go). KUBEKIT_BENCH_HANDOVERS
// sets the count (default 20).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createClient } from '@kubekit/client';
import { spawnWithLifeline } from '@kubekit/envtest';
import { percentile, reportFigure, startEnvtestProcess } from '@kubekit/envtest/bench';

const HANDOVERS = Number(process.env['KUBEKIT_BENCH_HANDOVERS'] ?? '20');
const OBJECTS = 100;
const NAMESPACE = 'handover';
const script = join(dirname(fileURLToPath(import.meta.url)), 'support', 'handover-replica.js');

interface ReplicaEvent {
  readonly event: 'synced' | 'leading' | 'first-reconcile';
  readonly ms?: number;
  readonly afterNotification?: number;
  readonly cpuMs?: number;
}

/** A replica process and the events it reported. */
class Replica {
  readonly #child: ChildProcess;
  readonly #events: ReplicaEvent[] = [];
  readonly #waiters: (() => void)[] = [];
  readonly exited: Promise<void>;

  constructor(
    readonly identity: string,
    kubeConfigPath: string,
  ) {
    // Stops (as on SIGTERM) when the benchmark dies, even by SIGKILL.
    this.#child = spawnWithLifeline(script, [kubeConfigPath, NAMESPACE, identity], { stderr: 'inherit' });
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', () => {
        resolve();
      });
    });
    if (this.#child.stdout === null) throw new Error('replica: no stdout');
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      if (!line.startsWith('@@replica ')) return;
      this.#events.push(JSON.parse(line.slice('@@replica '.length)) as ReplicaEvent);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  has(event: ReplicaEvent['event']): ReplicaEvent | undefined {
    return this.#events.find((e) => e.event === event);
  }

  /** Resolves with the first event of that name (within 30 s). */
  async next(event: ReplicaEvent['event']): Promise<ReplicaEvent> {
    const deadline = performance.now() + 30_000;
    for (;;) {
      const found = this.has(event);
      if (found !== undefined) return found;
      if (performance.now() > deadline) throw new Error(`${this.identity}: no ${event} within 30 s`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 1000);
      });
    }
  }

  /** Sends `signal`; a replica that has not exited 10 s after a SIGTERM is killed. */
  async stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    this.#child.kill(signal);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

const env = await startEnvtestProcess();
const dir = mkdtempSync(join(tmpdir(), 'kubekit-handover-bench-'));
const kubeConfigPath = join(dir, 'kubeconfig');
writeFileSync(kubeConfigPath, env.kubeConfig.exportConfig());
const client = createClient({ kubeConfig: env.kubeConfig, rateLimit: false, metrics: null });
let replicas: Replica[] = [];
try {
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  await Promise.all(
    Array.from({ length: OBJECTS }, (_, i) =>
      client.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cm-${String(i)}`, namespace: NAMESPACE },
        data: { key: String(i) },
      }),
    ),
  );
  let started = 0;
  const replica = (): Replica => new Replica(`replica-${String(started++)}`, kubeConfigPath);
  replicas = [replica(), replica()];
  // The first leader may lead before its cache synced: not measured.
  await Promise.race(replicas.map((r) => r.next('first-reconcile')));
  const graceful: number[] = [];
  const killed: number[] = [];
  const sent: number[] = [];
  for (let i = 0; i < HANDOVERS; i++) {
    const leader = replicas.find((r) => r.has('leading') !== undefined);
    const followers = replicas.filter((r) => r !== leader);
    if (leader === undefined || followers.length === 0) throw new Error('no leader and follower');
    await Promise.all(followers.map((r) => r.next('synced')));
    const kill = i % 2 === 1;
    await leader.stop(kill ? 'SIGKILL' : 'SIGTERM');
    const next = await Promise.race(
      followers.map(async (r) => {
        await r.next('first-reconcile');
        return r;
      }),
    );
    const first = next.has('first-reconcile');
    const ms = first?.afterNotification ?? Number.NaN;
    (kill ? killed : graceful).push(ms);
    sent.push(first?.ms ?? Number.NaN);
    console.log(
      `handover ${String(i + 1)} (${kill ? 'killed' : 'graceful'}): ${next.identity} began its first ` +
        `reconcile ${ms.toFixed(2)} ms after acquiring (its lock write answered), ` +
        `${(first?.ms ?? Number.NaN).toFixed(2)} ms after that write was sent ` +
        `(${(first?.cpuMs ?? Number.NaN).toFixed(2)} ms of CPU time in between)`,
    );
    replicas = [...followers, replica()];
  }
  const all = [...graceful, ...killed];
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  console.log(
    `first reconcile after acquisition over ${String(all.length)} handovers: p50 ${String(r2(percentile(all, 50)))} ms, ` +
      `p99 ${String(r2(percentile(all, 99)))} ms (graceful p50 ${String(r2(percentile(graceful, 50)))}, ` +
      `killed p50 ${String(r2(percentile(killed, 50)))}); after the acquiring write was sent ` +
      `(its round trip included): p50 ${String(r2(percentile(sent, 50)))} ms, ` +
      `p99 ${String(r2(percentile(sent, 99)))} ms; no baseline (controller-runtime does not run here)`,
  );
  reportFigure({
    name: 'reconcile/leader-handover/first-reconcile-after-acquisition-p50',
    value: r2(percentile(all, 50)),
    unit: 'ms',
    goal: '<= 50',
    baseline: null,
  });
  reportFigure({
    name: 'reconcile/leader-handover/first-reconcile-after-acquisition-p99',
    value: r2(percentile(all, 99)),
    unit: 'ms',
    goal: '<= 50',
    baseline: null,
  });
  reportFigure({
    name: 'reconcile/leader-handover/first-reconcile-after-write-sent-p99',
    value: r2(percentile(sent, 99)),
    unit: 'ms',
    goal: null,
    baseline: null,
  });
} finally {
  await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
  await client.close(false);
  await env.stop();
  rmSync(dir, { recursive: true, force: true });
}
