// Failover of the lease-based elector, measured with three real `kubekit-elect` processes on the
// embedded API server at client-go's default timings (15 s / 10 s / 2 s), side by side in one run
// with the baseline: the same processes with `--no-watch`, i.e. client-go's algorithm — followers
// poll the lock every jittered retry period instead of watching it.
//
// Handover after release: SIGTERM the leader (it releases, `--release-on-cancel`); from the moment
// an independent watch on the Lease sees the empty holder to the moment it sees the new holder.
// Takeover after SIGKILL: from the expiry (the killed leader's last renew as the watch saw it, plus
// leaseDuration) to the moment the watch sees the new holder.
// API load at steady state: requests per minute of a follower (not counting its watch) and of the
// leader, from envtest's per-user counters.
//
// KUBEKIT_BENCH_ROUNDS scales the number of rounds (default 1 = 20 handovers and 5 takeovers for
// kubekit, 10 and 5 for the baseline).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEnvtest, type Envtest } from '@kubekit/envtest';
import { ElectProcess } from './support/elect-process.js';
import { percentile, reportFigure } from '@kubekit/envtest/bench';
import { sleep } from '../test/support/wait.js';
import { LeaseObserver } from './support/lease-observer.js';

const LEASE_DURATION_MS = 15_000;
const RETRY_PERIOD_MS = 2_000;
const scale = Number(process.env['KUBEKIT_BENCH_ROUNDS'] ?? '1');
const NAMESPACE = 'default';

type Mode = 'kubekit' | 'client-go';

interface ModeResult {
  handovers: number[];
  takeovers: number[];
  followerRequestsPerMin: number;
  followerWatchesPerMin: number;
  leaderRequestsPerRetryPeriod: number;
}

class Cluster {
  readonly processes = new Map<string, ElectProcess>();

  constructor(
    private readonly kubeconfig: string,
    private readonly mode: Mode,
    private readonly lease: string,
  ) {}

  start(identity: string): ElectProcess {
    const args = [
      '--name',
      this.lease,
      '--namespace',
      NAMESPACE,
      '--identity',
      identity,
      '--kubeconfig',
      this.kubeconfig,
      '--context',
      identity,
      '--release-on-cancel',
      ...(this.mode === 'client-go' ? ['--no-watch'] : []),
    ];
    const started = new ElectProcess(identity, args);
    this.processes.set(identity, started);
    return started;
  }

  /** Restarts `identity` and waits until it follows (has reported the current leader). */
  async restart(identity: string): Promise<void> {
    const started = this.start(identity);
    await started.next((e) => e.event === 'leader' && typeof e.fields['leader'] === 'string', 0, 30_000);
  }

  async stopAll(): Promise<void> {
    for (const running of this.processes.values()) running.kill('SIGKILL');
    await Promise.all([...this.processes.values()].map((running) => running.exited));
  }
}

const identities = ['elect-0', 'elect-1', 'elect-2'];

async function measure(env: Envtest, kubeconfig: string, mode: Mode): Promise<ModeResult> {
  const lease = `failover-${mode}`;
  const observer = new LeaseObserver(env.kubeConfig, NAMESPACE, lease);
  observer.start();
  const cluster = new Cluster(kubeconfig, mode, lease);
  try {
    for (const identity of identities) cluster.start(identity);
    await observer.next((holder) => identities.includes(holder), 0, 60_000);
    // Let every follower see the leader before counting.
    await sleep(3_000);

    // Steady-state API load.
    env.counters.reset();
    const windowMs = 30_000;
    await sleep(windowMs);
    const leader = observer.last()?.holder ?? '';
    const followers = identities.filter((identity) => identity !== leader);
    const perMinute = (count: number) => (count * 60_000) / windowMs;
    const followerAll = followers.map((user) => env.counters.count({ user }));
    const followerWatches = followers.map((user) => env.counters.count({ user, verb: 'watch' }));
    const followerRequestsPerMin = Math.max(
      ...followerAll.map((all, i) => perMinute(all - (followerWatches[i] ?? 0))),
    );
    const followerWatchesPerMin = Math.max(...followerWatches.map(perMinute));
    const leaderRequestsPerRetryPeriod = env.counters.count({ user: leader }) / (windowMs / RETRY_PERIOD_MS);
    console.log(
      `${mode}: steady state over ${windowMs / 1000} s: ${JSON.stringify(env.counters.snapshot())}`,
    );

    // Handover after a voluntary release.
    const handovers: number[] = [];
    const handoverRounds = Math.max(1, Math.round((mode === 'kubekit' ? 20 : 10) * scale));
    for (let round = 0; round < handoverRounds; round++) {
      const from = observer.changes.length;
      const current = observer.last()?.holder ?? '';
      const running = cluster.processes.get(current);
      if (running === undefined) throw new Error(`no process holds the lease (holder "${current}")`);
      running.kill('SIGTERM');
      const released = await observer.next((holder) => holder === '', from, 30_000);
      const acquired = await observer.next((holder) => holder !== '' && holder !== current, from, 30_000);
      handovers.push(acquired.at - released.at);
      await running.exited;
      await cluster.restart(current);
    }
    console.log(`${mode}: handover after release (ms): ${handovers.map((h) => h.toFixed(1)).join(' ')}`);

    // Takeover after the leader is killed.
    const takeovers: number[] = [];
    const takeoverRounds = Math.max(1, Math.round(5 * scale));
    for (let round = 0; round < takeoverRounds; round++) {
      const last = observer.last();
      const current = last?.holder ?? '';
      const running = cluster.processes.get(current);
      if (last === undefined || running === undefined) throw new Error('no process holds the lease');
      running.kill('SIGKILL');
      await running.exited;
      // The last renew the watch saw before the kill happened is where expiry counts from.
      const lastRenew = observer.changes.filter((change) => change.holder === current).at(-1) ?? last;
      const from = observer.changes.length;
      const acquired = await observer.next((holder) => holder !== '' && holder !== current, from, 60_000);
      takeovers.push(acquired.at - (lastRenew.at + LEASE_DURATION_MS));
      await cluster.restart(current);
    }
    console.log(
      `${mode}: takeover after SIGKILL, ms past expiry: ${takeovers.map((t) => t.toFixed(1)).join(' ')}`,
    );
    return {
      handovers,
      takeovers,
      followerRequestsPerMin,
      followerWatchesPerMin,
      leaderRequestsPerRetryPeriod,
    };
  } finally {
    observer.stop();
    await cluster.stopAll();
  }
}

const env = await startEnvtest({ users: identities });
const dir = mkdtempSync(join(tmpdir(), 'kubekit-failover-'));
try {
  const kubeconfig = join(dir, 'kubeconfig');
  await env.writeKubeconfig(kubeconfig);
  const ours = await measure(env, kubeconfig, 'kubekit');
  const base = await measure(env, kubeconfig, 'client-go');
  const figure = (
    name: string,
    value: number,
    unit: string,
    goal: string | null,
    baseline: number | null,
  ) => {
    reportFigure({ name: `leaderelection/lease-failover/${name}`, value, unit, goal, baseline });
  };
  figure(
    'handover-after-release-p50',
    percentile(ours.handovers, 50),
    'ms',
    '<= 20',
    percentile(base.handovers, 50),
  );
  figure(
    'handover-after-release-p99',
    percentile(ours.handovers, 99),
    'ms',
    '<= 100',
    percentile(base.handovers, 99),
  );
  figure('handover-samples', ours.handovers.length, 'count', null, base.handovers.length);
  figure(
    'takeover-after-kill-past-expiry-p50',
    percentile(ours.takeovers, 50),
    'ms',
    null,
    percentile(base.takeovers, 50),
  );
  figure(
    'takeover-after-kill-past-expiry-p99',
    percentile(ours.takeovers, 99),
    'ms',
    '<= 50',
    percentile(base.takeovers, 99),
  );
  figure('takeover-samples', ours.takeovers.length, 'count', null, base.takeovers.length);
  figure(
    'follower-requests-per-min',
    ours.followerRequestsPerMin,
    'req/min',
    '== 0',
    base.followerRequestsPerMin,
  );
  figure(
    'follower-watch-requests-per-min',
    ours.followerWatchesPerMin,
    'req/min',
    null,
    base.followerWatchesPerMin,
  );
  figure(
    'leader-requests-per-retry-period',
    ours.leaderRequestsPerRetryPeriod,
    'req',
    '<= 1',
    base.leaderRequestsPerRetryPeriod,
  );
} finally {
  await env.stop();
  rmSync(dir, { recursive: true, force: true });
}
