import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { createClient, isAlreadyExists, type KubeClient } from '@kubekit/client';
import { startEnvtest, type Envtest } from '@kubekit/envtest';
import { memcachedCrd } from '../manifests.js';
import { memcachedApiVersion, memcachedKind } from '../memcached.js';
import { preciseNow } from '../reconcile-log.js';
import {
  evaluate,
  type DemoReport,
  type DemoStep,
  type DemoTimings,
  type LeadershipSpan,
  type Transition,
} from './demo-report.js';
import { LeaseObserver } from './lease-observer.js';
import type { Progress } from './progress.js';
import {
  closestHandoff,
  findOverlaps,
  readReconcileLog,
  toIntervals,
  type ReconcileInterval,
} from './reconcile-records.js';
import { ReplicaProcess, type ReplicaEvent } from './replica-process.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** A real cluster's kubeconfig: no envtest, and no partition (it needs envtest's fault injection). */
  readonly kubeconfig?: string;
  readonly namespace?: string;
  readonly timings?: Partial<DemoTimings>;
  /** How long the demo lets things run between faults (ms). Default 1500. */
  readonly steadyMs?: number;
  readonly progress: Progress;
  /** Every wait of the scenario ends by then (ms after the start; default 80 000): the demo must finish within 90 s. */
  readonly budgetMs?: number;
  /** Told the shortened timings and where it runs, before anything starts. */
  readonly onStart?: (timings: DemoTimings, where: string) => void;
}

/** What {@link runDemo} resolves with: the report, and every reconcile as recorded (for the timeline). */
export interface DemoResult {
  readonly report: DemoReport;
  readonly intervals: readonly ReconcileInterval[];
}

export const defaultTimings: DemoTimings = {
  leaseDuration: 2_000,
  renewDeadline: 1_500,
  retryPeriod: 300,
  resyncMs: 100,
};
const replicaNames = ['replica-a', 'replica-b', 'replica-c'];
const leaseName = 'memcached-operator';

/**
 * The failover demo: three operator replicas as OS processes on envtest (or a cluster), a few
 * Memcacheds, then a graceful stop of the leader, a SIGKILL of the next, a partition of the next
 * (envtest only; a second graceful stop on a cluster), heal, stop. Resolves with the report.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const timings = { ...defaultTimings, ...options.timings };
  const steadyMs = options.steadyMs ?? 1_500;
  const namespace = options.namespace ?? 'kubekit-demo';
  // Read options.progress at each call: onStart may switch it (to a live board once the header is known).
  const progress: Progress = {
    event: (at, text) => {
      options.progress.event(at, text);
    },
    status: (p, replicas) => {
      options.progress.status(p, replicas);
    },
    close: () => {
      options.progress.close();
    },
  };
  const startedAt = preciseNow();
  const rel = (at: number): number => at - startedAt;
  const dir = mkdtempSync(join(tmpdir(), 'kubekit-demo-'));
  const reconcileLog = join(dir, 'reconciles.jsonl');
  const steps: DemoStep[] = [];
  const transitions: Transition[] = [];
  const all: ReplicaProcess[] = [];
  const current = new Map<string, ReplicaProcess>();
  const state = new Map<string, string>();
  const leading = new Set<string>();
  let phase = 'starting';
  let env: Envtest | undefined;
  let admin: KubeClient | undefined;
  const stopObserver = new AbortController();
  let observing: Promise<void> | undefined;

  const step = (kind: DemoStep['kind'], note: string, replica?: string, at = preciseNow()): DemoStep => {
    const s: DemoStep = { at, kind, note, ...(replica === undefined ? {} : { replica }) };
    steps.push(s);
    progress.event(rel(at), note);
    return s;
  };
  const counts = (): Map<string, number> => {
    const byReplica = new Map<string, number>();
    for (const r of readReconcileLog(reconcileLog))
      if (r.phase === 'begin') byReplica.set(r.replica, (byReplica.get(r.replica) ?? 0) + 1);
    return byReplica;
  };
  const showStatus = (): void => {
    const reconciles = counts();
    progress.status(
      phase,
      replicaNames.map((name) => ({
        name,
        pid: current.get(name)?.pid,
        state: state.get(name) ?? 'not started',
        reconciles: reconciles.get(name) ?? 0,
      })),
    );
  };
  const onReplicaEvent = (replica: ReplicaProcess, event: ReplicaEvent): void => {
    const name = replica.spec.name;
    switch (event.type) {
      case 'started':
        state.set(name, 'follower');
        break;
      case 'leading':
        leading.add(name);
        state.set(name, `LEADER (epoch ${String(event.epoch)})`);
        progress.event(rel(event.at), `${name} says: leading, epoch ${String(event.epoch)}`);
        break;
      case 'following':
        if (leading.delete(name)) progress.event(rel(event.at), `${name} says: stepped down`);
        if (state.get(name) !== 'partitioned') state.set(name, 'follower');
        break;
      case 'exited':
        leading.delete(name);
        state.set(
          name,
          event.signal === 'SIGKILL' ? 'killed' : `exited (${String(event.code ?? event.signal)})`,
        );
        progress.event(rel(event.at), `${name} exited (${event.signal ?? `code ${String(event.code)}`})`);
        break;
      case 'log':
        if (event.level === 'error' || event.level === 'stderr')
          progress.event(rel(event.at), `${name} ${event.level}: ${event.msg}`);
        break;
    }
    showStatus();
  };
  const startReplica = (name: string, kubeconfig: string, context: string | undefined): ReplicaProcess => {
    const replica = new ReplicaProcess(
      {
        name,
        kubeconfig,
        namespace,
        ...timings,
        reconcileLog,
        ...(context === undefined ? {} : { context }),
      },
      onReplicaEvent,
    );
    all.push(replica);
    current.set(name, replica);
    state.set(name, 'starting');
    return replica;
  };
  const budgetEnd = startedAt + (options.budgetMs ?? 80_000);
  const waitFor = async (what: string, check: () => boolean, timeoutMs: number): Promise<void> => {
    const deadline = Math.min(preciseNow() + timeoutMs, budgetEnd);
    while (!check()) {
      if (preciseNow() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
      await sleep(10);
    }
  };

  let cause: Transition['cause'] = 'initial';
  let faultAt = 0;
  let releaseAt: number | undefined;
  let lastHolder = '';
  let interval: NodeJS.Timeout | undefined;
  try {
    let kubeconfig: string;
    let kubeConfig: KubeConfig;
    if (options.kubeconfig === undefined) {
      env = await startEnvtest({ users: replicaNames, gcDelayMs: 0 });
      kubeconfig = join(dir, 'kubeconfig');
      await env.writeKubeconfig(kubeconfig);
      kubeConfig = env.kubeConfig;
      await env.cluster.createNamespace(namespace);
    } else {
      kubeconfig = options.kubeconfig;
      kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(kubeconfig);
    }
    options.onStart?.(
      timings,
      env === undefined ? `cluster ${kubeConfig.getCurrentCluster()?.server ?? '?'}` : `envtest ${env.url}`,
    );
    interval = setInterval(showStatus, 250);
    admin = createClient({ kubeConfig, metrics: null, userAgent: 'kubekit-demo' });
    const client = admin;
    if (env === undefined)
      await ignoreExists(
        client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }),
      );
    await ignoreExists(client.create(memcachedCrd()));
    step('start', `CRD memcacheds.cache.example.com installed; namespace ${namespace}`);

    const observer = new LeaseObserver(client, namespace, leaseName, (seen, previous) => {
      if (seen.holder === '' && previous !== undefined && previous.holder !== '') {
        releaseAt = seen.at;
        progress.event(rel(seen.at), `lease released by ${previous.holder}`);
      }
      if (seen.holder === '' || seen.holder === lastHolder) return;
      const t: Transition = {
        at: seen.at,
        from: lastHolder,
        to: seen.holder,
        cause,
        ...transitionLatency(
          cause,
          seen.at,
          releaseAt,
          faultAt,
          observer.lastRenewOf(lastHolder, seen.at - 0.001)?.at,
        ),
      };
      transitions.push(t);
      lastHolder = seen.holder;
      releaseAt = undefined;
      cause = 'other';
      const latency = t.latencyMs === undefined ? '' : ` (${t.cause}: ${t.latencyMs.toFixed(1)} ms)`;
      progress.event(rel(seen.at), `lease: ${t.from === '' ? 'none' : t.from} → ${t.to}${latency}`);
    });
    observing = observer.run(stopObserver.signal);

    phase = 'start three replicas';
    for (const name of replicaNames) startReplica(name, kubeconfig, env === undefined ? undefined : name);
    step('start', `started ${replicaNames.join(', ')} as OS processes`);
    await waitFor('a first leader', () => observer.holder !== '', 20_000);

    phase = 'create Memcacheds';
    for (const [i, name] of ['alpha', 'bravo', 'charlie'].entries()) {
      await client.create({
        apiVersion: memcachedApiVersion,
        kind: memcachedKind,
        metadata: { name, namespace },
        spec: { size: i + 1 },
      });
    }
    step('create', 'created Memcacheds alpha (1), bravo (2), charlie (3)');
    await waitFor('the Memcacheds reconciled', () => (counts().get(observer.holder) ?? 0) >= 6, 10_000);
    await sleep(steadyMs);

    // 1. Graceful stop: SIGTERM → the leader drains, releases; a follower acquires within ms.
    phase = 'graceful stop of the leader (SIGTERM → handover)';
    const first = observer.holder;
    cause = 'handover';
    faultAt = current.get(first)?.signal('SIGTERM') ?? preciseNow();
    step('sigterm', `SIGTERM to leader ${first}`, first, faultAt);
    await waitFor(
      'a new leader after the handover',
      () => observer.holder !== '' && observer.holder !== first,
      10_000,
    );
    await current.get(first)?.exited;
    startReplica(first, kubeconfig, env === undefined ? undefined : first);
    step('restart', `${first} restarted (a follower now)`, first);
    await sleep(steadyMs);

    // 2. Crash: SIGKILL → no release; a follower acquires when the lease expires.
    phase = 'SIGKILL of the leader (takeover at expiry)';
    const second = observer.holder;
    cause = 'takeover-after-crash';
    faultAt = current.get(second)?.signal('SIGKILL') ?? preciseNow();
    step('sigkill', `SIGKILL to leader ${second}`, second, faultAt);
    await waitFor(
      'a new leader after the crash',
      () => observer.holder !== second,
      timings.leaseDuration * 4,
    );
    await current.get(second)?.exited;
    startReplica(second, kubeconfig, env === undefined ? undefined : second);
    step('restart', `${second} restarted (a follower now)`, second);
    await sleep(steadyMs);

    const third = observer.holder;
    if (env !== undefined) {
      // 3. Partition: the leader's requests all fail; it must step down (renewDeadline) before
      // anyone else can acquire (leaseDuration after its last renew).
      phase = 'partition of the leader (step down before anyone acquires)';
      cause = 'takeover-after-partition';
      faultAt = preciseNow();
      const fault = env.faults.add({ user: third, partition: true });
      state.set(third, 'partitioned');
      step(
        'partition',
        `partitioned ${third} from the API server (envtest fault for user ${third})`,
        third,
        faultAt,
      );
      await waitFor(
        'a new leader after the partition',
        () => observer.holder !== third,
        timings.leaseDuration * 4,
      );
      await sleep(steadyMs);
      fault.remove();
      state.set(third, 'follower');
      step('heal', `healed ${third}: it follows again`, third);
    } else {
      phase = 'graceful stop of the leader (second handover)';
      cause = 'handover';
      faultAt = current.get(third)?.signal('SIGTERM') ?? preciseNow();
      step('sigterm', `SIGTERM to leader ${third}`, third, faultAt);
      await waitFor(
        'a new leader after the handover',
        () => observer.holder !== '' && observer.holder !== third,
        10_000,
      );
      await current.get(third)?.exited;
      startReplica(third, kubeconfig, undefined);
      step('restart', `${third} restarted`, third);
    }
    await sleep(steadyMs);

    phase = 'stop';
    // Followers first, so that none of them takes the lease the leader releases last.
    step('stop', 'SIGTERM to the followers, then to the leader');
    const leader = observer.holder;
    const stopping = [...current.values()].filter((r) => r.running);
    for (const group of [
      stopping.filter((r) => r.spec.name !== leader),
      stopping.filter((r) => r.spec.name === leader),
    ]) {
      for (const replica of group) replica.signal('SIGTERM');
      const timeout = new AbortController();
      await Promise.race([
        Promise.all(group.map((r) => r.exited)),
        sleep(10_000, undefined, { signal: timeout.signal }).catch(() => undefined),
      ]);
      timeout.abort();
    }
    if (env === undefined)
      await client.deleteCollection({ apiVersion: memcachedApiVersion, kind: memcachedKind, namespace });
  } finally {
    clearInterval(interval);
    for (const replica of all) if (replica.running) replica.signal('SIGKILL');
    await Promise.all(all.map((r) => r.exited));
    stopObserver.abort();
    await observing;
    await admin?.close();
    await env?.stop();
    showStatus();
    progress.close();
  }

  const finishedAt = preciseNow();
  const exits = new Map<string, number[]>();
  for (const replica of all) {
    for (const e of replica.events)
      if (e.type === 'exited') exits.set(replica.spec.name, [...(exits.get(replica.spec.name) ?? []), e.at]);
  }
  const intervals = toIntervals(readReconcileLog(reconcileLog), exits, finishedAt);
  rmSync(dir, { recursive: true, force: true });
  const leadership = leadershipSpans(all, finishedAt);
  const partitionStepDownMarginMs = partitionMargin(steps, transitions, leadership);
  const byReplica: Record<string, number> = {};
  const byOutcome: Record<string, number> = {};
  for (const i of intervals) {
    byReplica[i.replica] = (byReplica[i.replica] ?? 0) + 1;
    byOutcome[i.outcome] = (byOutcome[i.outcome] ?? 0) + 1;
  }
  const partial = {
    startedAt,
    startedAtIso: new Date(startedAt).toISOString(),
    finishedAt,
    mode: env === undefined ? ('cluster' as const) : ('envtest' as const),
    timings,
    replicas: replicaNames,
    steps,
    transitions,
    leadership,
    processes: all.map((r) => {
      const exited = r.events.find((e) => e.type === 'exited');
      return {
        replica: r.spec.name,
        pid: r.pid,
        start: r.spawnedAt,
        end: exited?.at ?? finishedAt,
        exit: exited === undefined ? 'running' : (exited.signal ?? `code ${String(exited.code)}`),
      };
    }),
    reconciles: {
      total: intervals.length,
      byReplica,
      byOutcome,
      cutByDeath: intervals.filter((i) => i.cutByDeath).length,
      closestHandoffMs: closestHandoff(intervals),
    },
    overlaps: findOverlaps(intervals),
    partitionStepDownMarginMs,
  };
  return { report: { ...partial, acceptance: evaluate(partial) }, intervals };
}

function transitionLatency(
  cause: Transition['cause'],
  at: number,
  releaseAt: number | undefined,
  faultAt: number,
  lastRenewAt: number | undefined,
): Pick<Transition, 'latencyMs' | 'sinceFaultMs'> {
  switch (cause) {
    case 'handover':
      return releaseAt === undefined ? {} : { latencyMs: at - releaseAt, sinceFaultMs: at - faultAt };
    case 'takeover-after-crash':
    case 'takeover-after-partition':
      return {
        ...(lastRenewAt === undefined ? {} : { latencyMs: at - lastRenewAt }),
        sinceFaultMs: at - faultAt,
      };
    case 'initial':
    case 'other':
      return {};
  }
}

/** Leadership as each replica claimed it, from `leading` to `following` or the process's exit. */
function leadershipSpans(replicas: readonly ReplicaProcess[], end: number): LeadershipSpan[] {
  const spans: LeadershipSpan[] = [];
  for (const replica of replicas) {
    let open: { start: number; epoch: number } | undefined;
    for (const e of replica.events) {
      if (e.type === 'leading') open = { start: e.at, epoch: e.epoch };
      else if ((e.type === 'following' || e.type === 'exited') && open !== undefined) {
        const ended = e.type === 'following' ? 'following' : e.signal === 'SIGKILL' ? 'killed' : 'exited';
        spans.push({ replica: replica.spec.name, start: open.start, end: e.at, epoch: open.epoch, ended });
        open = undefined;
      }
    }
    if (open !== undefined)
      spans.push({
        replica: replica.spec.name,
        start: open.start,
        end,
        epoch: open.epoch,
        ended: 'demo-end',
      });
  }
  return spans.sort((a, b) => a.start - b.start);
}

/** The partitioned leader's step-down (its own claim) → the next acquisition seen on the lease. */
function partitionMargin(
  steps: readonly DemoStep[],
  transitions: readonly Transition[],
  spans: readonly LeadershipSpan[],
): number | undefined {
  const partition = steps.find((s) => s.kind === 'partition');
  const next = transitions.find((t) => t.cause === 'takeover-after-partition');
  if (partition?.replica === undefined || next === undefined) return undefined;
  const span = spans.find(
    (s) => s.replica === partition.replica && s.start <= partition.at && s.end >= partition.at,
  );
  return span === undefined ? undefined : next.at - span.end;
}

async function ignoreExists(created: Promise<unknown>): Promise<void> {
  try {
    await created;
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}
