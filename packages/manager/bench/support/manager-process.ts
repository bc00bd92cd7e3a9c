// One replica for the manager benchmark: a Manager with lease election at the default timings
// (15 s / 10 s / 2 s), `onLeadershipLost: 'recampaign'`, and GATED leader-gated runnables. It
// prints one JSON line per event on stdout, stamped with `performance.timeOrigin + performance.now()`
// (comparable between processes of one machine to well under a millisecond):
//
//   {"event":"up"}                                  the manager runs (campaigning)
//   {"event":"settled","afterMs":…,"quiet":…}       the process has warmed up (see below)
//   {"event":"gated-started","at":…,"epoch":…,…}    first gated runnable of a term started; with the
//                                                   times since the acquisition (see below) and
//                                                   which term of this process it is (1: its first)
//   {"event":"gc","epoch":…,"acquireToStartGcMs":…} garbage collection during that span (a moment later)
//   {"event":"loss","at":…,"lossToAllAbortedMs":…}  a term ended by a loss; every gated runnable saw its abort
//   {"event":"released","at":…}                     the elector wrote the empty holder (graceful stop)
//   {"event":"requests","requests":[…]}             its requests on the Lease (not the watch): answer
//                                                   time, method, status; a moment after a burst
//
// The acquisition is timed from the moment this process received the whole answer to the write
// that acquired the Lease (undici's `undici:request:trailers` diagnostics channel; the elector
// reads and parses it after that), and, for comparison, from the elector's leadership$ report. In
// between and up to the first gated runnable's start, nothing of the benchmark's runs but two
// clock reads and one `getrusage`: no output (a line written to the benchmark's pipe wakes the
// benchmark's process, which then competes for a core), no logging. Over the same span it records
// the CPU time the process used, the time its main thread waited for a core (runnable, but the
// kernel ran something else) and the time spent collecting garbage.
//
// "settled": a process just started loads its modules, and V8 compiles and optimises on threads of
// its own, for about a second after "up"; on a machine of two cores that run everything, that work
// competes with the acquiring replica. In production a new replica has long warmed up before the
// next handover; so the benchmark waits for this line before it begins the next round. It is
// written once the process (all its threads) has used at most 5 % of one core over the last 250 ms
// (sampled every 50 ms until then), or after 10 s with `"quiet":false`. This is benchmark hygiene,
// not behaviour of the manager: it changes only when the benchmark's next round begins.
//
// Usage: node manager-process.js <kubeconfig> <identity> <namespace> <lease>
import { subscribe } from 'node:diagnostics_channel';
import { openSync, readSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { Manager, runnable, setupSignalHandler, type RunnableContext } from '@kubekit/manager';
import type { Logger } from '@kubekit/leaderelection';

const GATED = 10;
const [kubeconfigPath, identity, namespace, lease] = process.argv.slice(2);
if (
  kubeconfigPath === undefined ||
  identity === undefined ||
  namespace === undefined ||
  lease === undefined
) {
  throw new Error('usage: manager-process <kubeconfig> <identity> <namespace> <lease>');
}

const stamp = (): number => performance.timeOrigin + performance.now();
const emit = (event: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
};

const logger: Logger = {
  debug: () => undefined,
  info: (_fields, message) => {
    if (message === 'released the lease') emit('released', { at: stamp() });
  },
  warn: () => undefined,
  error: (fields, message) => {
    process.stderr.write(`${identity}: ${message} ${JSON.stringify(fields)}\n`);
  },
};

const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(kubeconfigPath);
kubeConfig.setCurrentContext(identity);
const manager = new Manager({
  kubeConfig,
  registry: new Registry(),
  logger,
  leaderElection: { name: lease, namespace, identity },
  onLeadershipLost: 'recampaign',
});

/**
 * The process's CPU time (`process.cpuUsage()`, µs: all threads, the main thread's own up to
 * date) and the time the main thread was runnable but waiting for a core (the run delay of Linux
 * `/proc/<pid>/task/<pid>/schedstat`, ns; up to date whenever the thread runs).
 */
interface Usage {
  readonly cpuUs: number;
  readonly waitNs: number;
}
/** Off Linux (no schedstat) the wait is unknown: NaN. */
const schedstat = ((): number | undefined => {
  try {
    return openSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'r');
  } catch {
    return undefined;
  }
})();
const schedBuffer = Buffer.alloc(128);
const usage = (): Usage => {
  let waitNs = NaN;
  if (schedstat !== undefined) {
    const length = readSync(schedstat, schedBuffer, 0, schedBuffer.length, 0);
    waitNs = Number(schedBuffer.toString('latin1', 0, length).split(' ')[1]);
  }
  const cpu = process.cpuUsage();
  return { cpuUs: cpu.user + cpu.system, waitNs };
};

/** Garbage collections of the last moments: [start, end] on `performance.now()`. */
const collections: (readonly [number, number])[] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    collections.push([entry.startTime, entry.startTime + entry.duration]);
  collections.splice(0, Math.max(0, collections.length - 100));
}).observe({ entryTypes: ['gc'] });
/** Milliseconds of garbage collection between `from` and `to`. */
const collecting = (from: number, to: number): number =>
  collections.reduce((sum, [start, end]) => sum + Math.max(0, Math.min(end, to) - Math.max(start, from)), 0);

/** The answer to the last successful write of the Lease (an acquire or a renew). */
let lastWrite: { readonly at: number; readonly usage: Usage } | undefined;
// undici's request objects, as its diagnostics channels publish them (the fields used here).
interface UndiciRequest {
  readonly method: string;
  readonly path: string;
}
const leases = `/namespaces/${namespace}/leases`;
const writeStatus = new WeakMap<object, number>();
/**
 * This process's requests on the Lease (not its watch): answered at (`timeOrigin`-based), method,
 * status. Reported in one "requests" line a moment after the last of a burst, so that no line is
 * written while another process acquires (a line wakes the benchmark).
 */
let requestLog: { at: number; method: string; status: number }[] = [];
let requestFlush: NodeJS.Timeout | undefined;
subscribe('undici:request:headers', (message) => {
  const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
  if (!request.path.includes(leases) || request.path.includes('watch=')) return;
  if (request.method === 'PUT' || request.method === 'POST') writeStatus.set(request, response.statusCode);
  requestLog.push({ at: stamp(), method: request.method, status: response.statusCode });
  requestFlush ??= setTimeout(() => {
    requestFlush = undefined;
    emit('requests', { requests: requestLog });
    requestLog = [];
  }, 200);
  requestFlush.unref();
});
subscribe('undici:request:trailers', (message) => {
  const { request } = message as { request: UndiciRequest };
  const status = writeStatus.get(request);
  if (status === undefined || status >= 300) return;
  const before = usage();
  lastWrite = { at: performance.now(), usage: before };
});

/** The current term's acquisition: its write's answer and the elector's leadership$ report. */
let acquisition:
  { readonly answeredAt: number; readonly usage: Usage; readonly reportedAt: number } | undefined;
let startedInTerm = -1;
/** How many terms this process has begun (its first: code never run before, compiled on the way). */
let terms = 0;
let abortsPending = 0;
let termEndedAt = 0;
manager.leadership$.subscribe((leadership) => {
  if (!leadership.leading) return;
  const reportedAt = performance.now();
  terms += 1;
  // The acquiring write is the last successful write before the report (a follower writes only to
  // acquire); without one (never here) the answer time is unknown.
  acquisition =
    lastWrite === undefined
      ? { answeredAt: NaN, usage: usage(), reportedAt }
      : { answeredAt: lastWrite.at, usage: lastWrite.usage, reportedAt };
  abortsPending = GATED;
  leadership.term.signal.addEventListener('abort', () => {
    termEndedAt = performance.now();
  });
});

/** The first gated runnable of a term (`epoch`) started at `now`, with `after` used: reports the spans. */
function reportStart(now: number, after: Usage, epoch: number): void {
  startedInTerm = epoch;
  const from = acquisition;
  emit('gated-started', {
    at: stamp(),
    epoch,
    termInProcess: terms,
    acquireToStartMs: from === undefined ? NaN : now - from.answeredAt,
    reportToStartMs: from === undefined ? NaN : now - from.reportedAt,
    acquireToStartCpuMs: from === undefined ? NaN : (after.cpuUs - from.usage.cpuUs) / 1e3,
    acquireToStartWaitMs: from === undefined ? NaN : (after.waitNs - from.usage.waitNs) / 1e6,
  });
  // Garbage collections are reported to observers a moment later.
  const answeredAt = from?.answeredAt ?? NaN;
  setTimeout(() => {
    emit('gc', { epoch, acquireToStartGcMs: collecting(answeredAt, now) });
  }, 100);
}

/** A gated runnable's work: waits for its signal; the last of a lost term's ten reports the loss. */
function runGated(signal: AbortSignal, context: RunnableContext | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    signal.addEventListener(
      'abort',
      () => {
        abortsPending -= 1;
        const lost =
          context?.term?.signal.aborted === true &&
          (context.term.signal.reason as { kind?: string }).kind === 'lost';
        if (abortsPending === 0 && lost) {
          emit('loss', { at: stamp(), lossToAllAbortedMs: performance.now() - termEndedAt });
        }
        resolve();
      },
      { once: true },
    );
  });
}

for (let i = 0; i < GATED; i++) {
  manager.add(
    runnable((signal, context) => {
      // The runnable has started: the clocks are read first, before the benchmark's bookkeeping
      // (whose code, on a process's first term, would be compiled inside the span otherwise).
      const now = performance.now();
      const epoch = context?.term?.epoch ?? -1;
      if (startedInTerm !== epoch) reportStart(now, usage(), epoch);
      return runGated(signal, context);
    }),
  );
}

/** Writes "settled" once the process has been quiet for a while (see the header). */
function reportSettled(): void {
  const window = 250;
  const share = 0.05;
  const upAt = performance.now();
  const samples: { readonly at: number; readonly cpuUs: number }[] = [];
  const timer = setInterval(() => {
    const now = performance.now();
    const { cpuUs } = usage();
    samples.push({ at: now, cpuUs });
    while ((samples[1]?.at ?? Infinity) <= now - window) samples.shift();
    const oldest = samples[0];
    const quiet =
      oldest !== undefined && oldest.at <= now - window && cpuUs - oldest.cpuUs <= window * share * 1e3;
    if (quiet || now - upAt >= 10_000) {
      clearInterval(timer);
      emit('settled', { afterMs: now - upAt, quiet });
    }
  }, 50);
  timer.unref();
}

const signal = setupSignalHandler();
const running = manager.start(signal);
emit('up');
reportSettled();
await running;
