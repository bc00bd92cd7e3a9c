// The manager's hand-offs, measured with three real manager processes (support/manager-process.ts)
// on the embedded API server at the default lease timings (15 s / 10 s / 2 s):
//
// - acquisition → first leader-gated runnable started, inside the process that acquired (every
//   acquisition of the run counts: after releases and after losses), from the moment that process
//   received the answer to its acquiring write (see support/manager-process.ts); also from the
//   elector's leadership$ report; with the CPU time over the span, the time the process's main
//   thread waited for a core (on a loaded machine, the usual cause of a slow sample) and the time
//   spent collecting garbage;
// - loss → every leader-gated runnable (10 per process) aborted: from the instant the term's
//   signal aborted to the last runnable's abort handler. Losses are forced as they happen in
//   production when someone else writes the lock: the benchmark clears the Lease's holder behind
//   the leader's back; the leader finds out at its next renew (409, re-read) and loses;
// - graceful handover: SIGTERM the leader; from the moment a watch in the benchmark's process sees
//   the empty holder the leader wrote (after its gated runnables stopped) to the moment the
//   benchmark reads another process's "first gated runnable started" line (one clock for both).
//
// Benchmark hygiene (not behaviour of the manager; no sample is dropped or filtered): every process
// the benchmark starts (the three at first, and the one that stepped down, restarted after each
// handover) must report "settled" (warmed up: quiet for 250 ms, see support/manager-process.ts)
// before the next round begins. Without it the restarted process was still loading modules and
// compiling (V8's threads) when the next handover came, 0.5–1 s after it was spawned, and on two
// cores that work delayed the acquiring replica: nearly all slow acquisition samples were such
// handovers (see the breakdown the benchmark prints).
//
// KUBEKIT_BENCH_ROUNDS scales the number of rounds (default 5 = 100 handovers and 100 losses, so
// the p99 of the ~200 acquisitions is not just the slowest sample).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { spawnWithLifeline, startEnvtest } from '@kubekit/envtest';
import { percentile, reportFigure } from '@kubekit/envtest/bench';
import { ReleaseObserver } from './support/release-observer.js';

const scale = Number(process.env['KUBEKIT_BENCH_ROUNDS'] ?? '5');
const NAMESPACE = 'default';
const LEASE = 'manager-bench';
const script = fileURLToPath(new URL('./support/manager-process.js', import.meta.url));
const identities = ['manager-0', 'manager-1', 'manager-2'];

interface ProcessEvent {
  readonly event: string;
  /** When the benchmark read the line (its own `performance.now()`). */
  readonly receivedAt: number;
  readonly at?: number;
  readonly epoch?: number;
  readonly termInProcess?: number;
  readonly acquireToStartMs?: number;
  readonly reportToStartMs?: number;
  readonly acquireToStartCpuMs?: number;
  readonly acquireToStartWaitMs?: number;
  readonly acquireToStartGcMs?: number;
  readonly lossToAllAbortedMs?: number;
  readonly requests?: readonly LeaseRequest[];
  readonly afterMs?: number;
  readonly quiet?: boolean;
}

/** A request of a process on the Lease (not its watch), as its "requests" lines report them. */
interface LeaseRequest {
  /** When the answer's headers arrived (`timeOrigin`-based). */
  readonly at: number;
  readonly method: string;
  readonly status: number;
}

/** `performance.now()` of this process as a `timeOrigin`-based time, comparable between processes. */
const absolute = (now: number): number => performance.timeOrigin + now;

class ManagerProcess {
  readonly events: ProcessEvent[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  /** When it was spawned and when it exited (`timeOrigin`-based). */
  readonly spawnedAt = absolute(performance.now());
  exitedAt = Infinity;
  /** Called whenever the process writes a line or exits. */
  readonly waiters = new Set<() => void>();

  constructor(
    readonly identity: string,
    kubeconfig: string,
  ) {
    // Stops (as on SIGTERM) when the benchmark dies, even by SIGKILL.
    this.child = spawnWithLifeline(script, [kubeconfig, identity, NAMESPACE, LEASE], { stderr: 'inherit' });
    let pending = '';
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      const receivedAt = performance.now();
      pending += chunk;
      for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
        this.events.push({ ...(JSON.parse(pending.slice(0, newline)) as ProcessEvent), receivedAt });
        pending = pending.slice(newline + 1);
      }
      for (const wake of this.waiters) wake();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        this.exitedAt = absolute(performance.now());
        resolve(code);
        for (const wake of this.waiters) wake();
      });
    });
  }

  has(match: (event: ProcessEvent) => boolean, from = 0): ProcessEvent | undefined {
    return this.events.slice(from).find(match);
  }

  async next(
    match: (event: ProcessEvent) => boolean,
    from: number,
    timeoutMs: number,
  ): Promise<ProcessEvent> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.has(match, from);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null) throw new Error(`${this.identity} exited (${this.child.exitCode})`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`${this.identity}: no matching event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

/**
 * Resolves with the first event, among all processes, from the given offsets on, that matches.
 * Woken by the processes' lines (no polling: a timer firing every millisecond in this process
 * would compete for a core with the processes being measured).
 */
async function anyNext(
  processes: readonly ManagerProcess[],
  from: ReadonlyMap<ManagerProcess, number>,
  match: (event: ProcessEvent) => boolean,
  timeoutMs: number,
): Promise<{ process: ManagerProcess; event: ProcessEvent }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    for (const candidate of processes) {
      const event = candidate.has(match, from.get(candidate) ?? 0);
      if (event !== undefined) return { process: candidate, event };
    }
    const left = deadline - performance.now();
    if (left <= 0) throw new Error(`no process reported a matching event within ${timeoutMs} ms`);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        for (const candidate of processes) candidate.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, left);
      for (const candidate of processes) candidate.waiters.add(done);
    });
  }
}

/** How many samples, counted from the slowest, the nearest-rank percentile `p` of `n` rests on. */
function restsOn(n: number, p: number): number {
  return n - Math.max(1, Math.ceil((p / 100) * n)) + 1;
}

/** `slowest`, `2nd slowest`, … */
function slowest(n: number): string {
  if (n === 1) return 'slowest';
  return `${n === 2 ? '2nd' : n === 3 ? '3rd' : `${n}th`} slowest`;
}

function offsets(processes: readonly ManagerProcess[]): Map<ManagerProcess, number> {
  return new Map(processes.map((p) => [p, p.events.length]));
}

/**
 * The acquisition samples split by what else ran at that instant, to see which competing work
 * makes the slow ones: how the term began (after a graceful release or a forced loss), whether
 * another process got a 409 on the Lease around the acquisition (a losing follower, which then
 * reads the Lease again: answered within 10 ms), whether the stepping-down leader (handover) was still exiting, how long
 * ago the newest process was spawned, and (losses) how long before the acquiring write's answer
 * the benchmark's own write (client-node) had returned.
 */
function breakDown(
  started: readonly (Omit<ProcessEvent, 'acquireToStartGcMs'> & { readonly process: ManagerProcess })[],
): void {
  const requests = everyProcess.flatMap((p) =>
    p.events.flatMap((e) => (e.requests ?? []).map((r) => ({ ...r, process: p }))),
  );
  const rows = started.map((e) => {
    const start = e.at ?? NaN;
    const answered = start - (e.acquireToStartMs ?? NaN);
    const cause = causes.get(e.epoch ?? NaN);
    const others = requests.filter((r) => r.process !== e.process);
    const conflicts = others.filter((r) => r.status === 409 && Math.abs(r.at - answered) <= 20).length;
    const readsInSpan = others.filter(
      (r) => r.method === 'GET' && r.at >= answered && r.at <= answered + 10,
    ).length;
    const spawned = Math.max(...everyProcess.map((p) => (p.spawnedAt <= answered ? p.spawnedAt : -Infinity)));
    return {
      wall: e.acquireToStartMs ?? NaN,
      waited: (e.acquireToStartWaitMs ?? 0) > 0,
      phase: cause?.phase ?? 'first',
      conflicts,
      readsInSpan,
      previousAlive: cause?.phase === 'handover' && cause.previous.exitedAt > answered,
      /** Handover: from the previous leader's "released" line's stamp to the answer, and from the answer to its exit (as seen here). */
      sinceRelease:
        cause?.phase === 'handover'
          ? answered - (cause.previous.events.find((p) => p.event === 'released')?.at ?? NaN)
          : NaN,
      untilExit: cause?.phase === 'handover' ? cause.previous.exitedAt - answered : NaN,
      sinceSpawn: answered - spawned,
      sinceBenchWrite: cause?.benchWroteAt === undefined ? NaN : answered - cause.benchWroteAt,
      firstTerm: e.termInProcess === 1,
    };
  });
  type Row = (typeof rows)[number];
  const line = (label: string, match: (row: Row) => boolean): void => {
    const some = rows.filter(match);
    if (some.length === 0) return;
    const walls = some.map((r) => r.wall);
    console.log(
      `  ${label.padEnd(58)} n=${String(some.length).padStart(3)} p50 ${percentile(walls, 50).toFixed(2)} ` +
        `p90 ${percentile(walls, 90).toFixed(2)} max ${Math.max(...walls).toFixed(2)} ms, ` +
        `${some.filter((r) => r.waited).length} waited for a core`,
    );
  };
  console.log('acquisition → first gated runnable, by what else ran:');
  for (const phase of ['handover', 'loss'] as const) {
    line(`after a ${phase}`, (r) => r.phase === phase);
    line(
      `after a ${phase}, another process got a 409 around it`,
      (r) => r.phase === phase && r.conflicts > 0,
    );
    line(`after a ${phase}, no 409 elsewhere`, (r) => r.phase === phase && r.conflicts === 0);
    line(
      `after a ${phase}, another process read the Lease ≤ 10 ms after`,
      (r) => r.phase === phase && r.readsInSpan > 0,
    );
    line(
      `after a ${phase}, newest process spawned < 1.5 s before`,
      (r) => r.phase === phase && r.sinceSpawn < 1_500,
    );
    line(
      `after a ${phase}, newest process spawned ≥ 1.5 s before`,
      (r) => r.phase === phase && r.sinceSpawn >= 1_500,
    );
    line(`after a ${phase}, first term of the process`, (r) => r.phase === phase && r.firstTerm);
    line(`after a ${phase}, later term of the process`, (r) => r.phase === phase && !r.firstTerm);
  }
  line(
    'after a handover, the previous leader still running',
    (r) => r.phase === 'handover' && r.previousAlive,
  );
  line('after a handover, the previous leader exited', (r) => r.phase === 'handover' && !r.previousAlive);
  line(
    "after a loss, < 5 ms after the benchmark's write returned",
    (r) => r.phase === 'loss' && r.sinceBenchWrite < 5,
  );
  line(
    "after a loss, ≥ 5 ms after the benchmark's write returned",
    (r) => r.phase === 'loss' && r.sinceBenchWrite >= 5,
  );
  const slow = rows.filter((r) => r.wall > 2);
  console.log(
    `  slow samples (> 2 ms): ${slow
      .map(
        (r) =>
          `${r.wall.toFixed(1)}[${r.phase}${r.conflicts > 0 ? ',409' : ''}${r.readsInSpan > 0 ? ',read' : ''}` +
          (r.previousAlive ? `,prev-exit+${r.untilExit.toFixed(0)}ms` : '') +
          (Number.isNaN(r.sinceRelease) ? '' : `,release-${r.sinceRelease.toFixed(1)}ms`) +
          `,spawn-${(r.sinceSpawn / 1000).toFixed(1)}s` +
          `${Number.isNaN(r.sinceBenchWrite) ? '' : `,bench-write-${r.sinceBenchWrite.toFixed(1)}ms`}]`,
      )
      .join(' ')}`,
  );
}

const env = await startEnvtest({ users: identities });
const dir = mkdtempSync(join(tmpdir(), 'kubekit-manager-bench-'));
const processes: ManagerProcess[] = [];
/** How long each process took from "up" to "settled", and how many never got quiet (10 s). */
const settleTimes: number[] = [];
let unsettled = 0;
/** Every process started, restarted ones included (for their acquisition figures). */
const everyProcess: ManagerProcess[] = [];
const observer = new ReleaseObserver(env.kubeConfig, NAMESPACE, LEASE);
/** How each term (by epoch) began: after a graceful release or a forced loss, and of which leader. */
const causes = new Map<
  number,
  { readonly phase: 'handover' | 'loss'; readonly previous: ManagerProcess; readonly benchWroteAt?: number }
>();
try {
  const kubeconfig = join(dir, 'kubeconfig');
  await env.writeKubeconfig(kubeconfig);
  const start = async (identity: string): Promise<ManagerProcess> => {
    const started = new ManagerProcess(identity, kubeconfig);
    everyProcess.push(started);
    await started.next((e) => e.event === 'up', 0, 30_000);
    // Warmed up before the next round begins (see support/manager-process.ts, "settled").
    const settled = await started.next((e) => e.event === 'settled', 0, 30_000);
    settleTimes.push(settled.afterMs ?? NaN);
    if (settled.quiet === false) unsettled += 1;
    return started;
  };
  for (const identity of identities) processes.push(await start(identity));
  let leader = (await anyNext(processes, new Map(), (e) => e.event === 'gated-started', 60_000)).process;
  observer.start();
  await new Promise((resolve) => setTimeout(resolve, 1_000));

  // Graceful handovers.
  const handovers: number[] = [];
  const handoverRounds = Math.max(1, Math.round(20 * scale));
  for (let round = 0; round < handoverRounds; round++) {
    const from = offsets(processes);
    const releasesBefore = observer.releases.length;
    leader.kill('SIGTERM');
    await leader.next((e) => e.event === 'released', from.get(leader) ?? 0, 30_000);
    const others = processes.filter((p) => p !== leader);
    const next = await anyNext(others, from, (e) => e.event === 'gated-started', 30_000);
    causes.set(next.event.epoch ?? NaN, { phase: 'handover', previous: leader });
    for (let i = 0; i < 1_000 && observer.releases.length === releasesBefore; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const released = observer.releases[releasesBefore];
    if (released === undefined) throw new Error('the observer did not see the release');
    handovers.push(next.event.receivedAt - released);
    await leader.exited;
    const index = processes.indexOf(leader);
    processes[index] = await start(leader.identity);
    leader = next.process;
  }
  console.log(
    `graceful handover, release → next gated runnable (ms): ${handovers.map((h) => h.toFixed(1)).join(' ')}`,
  );

  // Losses: the Lease's holder is cleared behind the leader's back.
  const leases = env.kubeConfig.makeApiClient(CoordinationV1Api);
  const losses: number[] = [];
  const lossRounds = Math.max(1, Math.round(20 * scale));
  for (let round = 0; round < lossRounds; round++) {
    const from = offsets(processes);
    let benchWroteAt = NaN;
    // Read and write back with the holder cleared; a renew of the leader in between is a 409: again.
    for (let attempt = 1; ; attempt++) {
      const current = await leases.readNamespacedLease({ name: LEASE, namespace: NAMESPACE });
      if (current.spec !== undefined) current.spec.holderIdentity = '';
      try {
        await leases.replaceNamespacedLease({ name: LEASE, namespace: NAMESPACE, body: current });
        benchWroteAt = absolute(performance.now());
        break;
      } catch (error: unknown) {
        if ((error as { code?: unknown }).code !== 409 || attempt >= 5) throw error;
      }
    }
    const lost = await leader.next((e) => e.event === 'loss', from.get(leader) ?? 0, 30_000);
    losses.push(lost.lossToAllAbortedMs ?? NaN);
    const next = await anyNext(processes, from, (e) => e.event === 'gated-started', 30_000);
    causes.set(next.event.epoch ?? NaN, { phase: 'loss', previous: leader, benchWroteAt });
    leader = next.process;
  }
  console.log(`loss → all 10 gated runnables aborted (ms): ${losses.map((l) => l.toFixed(3)).join(' ')}`);

  await new Promise((resolve) => setTimeout(resolve, 300)); // the last "gc" lines
  const started = everyProcess.flatMap((p) =>
    p.events
      .filter((e) => e.event === 'gated-started')
      .map((e) => ({
        ...e,
        process: p,
        acquireToStartGcMs: p.events.find((g) => g.event === 'gc' && g.epoch === e.epoch)?.acquireToStartGcMs,
      })),
  );
  const acquisitions = started.map((e) => e.acquireToStartMs ?? NaN);
  const reports = started.map((e) => e.reportToStartMs ?? NaN);
  // CPU time the process used over the same span: far below the wall time when the process was
  // waiting for a core (a loaded machine), close to it when the code itself is slow.
  const acquisitionCpu = started.map((e) => e.acquireToStartCpuMs ?? NaN);
  const waits = started.map((e) => e.acquireToStartWaitMs ?? NaN);
  const ms = (value: number | undefined): string => (value ?? NaN).toFixed(2);
  console.log(
    `acquisition → first gated runnable (ms from the write's answer: wall/cpu/waiting for a core[/collecting garbage]): ${started
      .map(
        (e) =>
          `${ms(e.acquireToStartMs)}/${ms(e.acquireToStartCpuMs)}/${ms(e.acquireToStartWaitMs)}` +
          ((e.acquireToStartGcMs ?? 0) > 0 ? `/gc${ms(e.acquireToStartGcMs)}` : ''),
      )
      .join(' ')}`,
  );
  const waited = started.filter((e) => (e.acquireToStartWaitMs ?? 0) > 0);
  const collected = started.filter((e) => (e.acquireToStartGcMs ?? 0) > 0);
  console.log(
    `acquisition: ${started.length} samples, p99 is the ${slowest(restsOn(started.length, 99))}; ` +
      `${waited.length} waited for a core meanwhile, ${collected.length} collected garbage; ` +
      `p99 of those that did neither: ${percentile(
        started
          .filter((e) => !waited.includes(e) && !collected.includes(e))
          .map((e) => e.acquireToStartMs ?? NaN),
        99,
      ).toFixed(3)} ms`,
  );

  breakDown(started);
  console.log(
    `processes started: ${settleTimes.length}, settled ${percentile(settleTimes, 50).toFixed(0)} ms ` +
      `(p50; max ${Math.max(...settleTimes).toFixed(0)}) after "up"; ${unsettled} not quiet within 10 s`,
  );

  // A process's first term runs code it never ran before (a new Pod taking over, in production).
  for (const [which, samples] of [
    ['first term of a process', started.filter((e) => e.termInProcess === 1)],
    ['later terms', started.filter((e) => (e.termInProcess ?? 0) > 1)],
  ] as const) {
    const walls = samples.map((e) => e.acquireToStartMs ?? NaN);
    console.log(
      `acquisition, ${which}: ${samples.length} samples, p50 ${percentile(walls, 50).toFixed(3)} ms, ` +
        `p99 ${percentile(walls, 99).toFixed(3)} ms, cpu p50 ${percentile(
          samples.map((e) => e.acquireToStartCpuMs ?? NaN),
          50,
        ).toFixed(3)} ms`,
    );
  }

  const figure = (name: string, value: number, unit: string, goal: string | null): void => {
    reportFigure({ name: `manager/handoffs/${name}`, value, unit, goal, baseline: null });
    console.log(`${name}: ${value.toFixed(3)} ${unit}${goal === null ? '' : ` (goal ${goal})`}`);
  };
  figure('acquisition-to-gated-start-p50', percentile(acquisitions, 50), 'ms', null);
  figure('acquisition-to-gated-start-p99', percentile(acquisitions, 99), 'ms', '<= 5');
  figure('acquisition-to-gated-start-cpu-p99', percentile(acquisitionCpu, 99), 'ms', null);
  figure('leadership-report-to-gated-start-p99', percentile(reports, 99), 'ms', null);
  figure('acquisition-to-gated-start-core-wait-p99', percentile(waits, 99), 'ms', null);
  figure('acquisition-samples-waited-for-core', waited.length, 'count', null);
  figure('acquisition-samples-collected-garbage', collected.length, 'count', null);
  figure('acquisition-samples', acquisitions.length, 'count', null);
  figure('loss-to-all-gated-aborted-p99', percentile(losses, 99), 'ms', '<= 5');
  figure('loss-samples', losses.length, 'count', null);
  figure('handover-release-to-gated-start-p50', percentile(handovers, 50), 'ms', '<= 30');
  figure('handover-release-to-gated-start-p99', percentile(handovers, 99), 'ms', null);
  figure('handover-samples', handovers.length, 'count', null);
} finally {
  await observer.stop();
  for (const running of everyProcess) running.kill('SIGKILL');
  await Promise.all(everyProcess.map((p) => p.exited));
  await env.stop();
  rmSync(dir, { recursive: true, force: true });
}
