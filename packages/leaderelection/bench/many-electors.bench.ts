// Cost of the lease-based elector at scale: 1,000 LeaderElectors in this process, each leading
// its own Lease at client-go's default timings (15 s / 10 s / 2 s), against an embedded API
// server running in a separate process (so that only the electors' heap and CPU are measured).
// Heap: growth of the live heap (after full GCs) from before the electors existed to steady
// state, per elector. CPU: this process's user + system time over a steady-state window, as a
// share of one core. KUBEKIT_BENCH_ELECTORS overrides the count. Measured twice in one run, each
// in a fresh process of this script with its own envtest (so that neither heap figure includes
// the other's leftovers): the default configuration (a leader closes its watch, as client-go's
// leaders have none), then `watchWhileLeading: true` (each renew also comes back to its leader as
// a watch event), whose figures are printed for information.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { createLeaseElector, type LeaseElector } from '@kubekit/leaderelection';
import { reportFigure } from './support/figures.js';
import { sleep } from '../test/support/wait.js';

const COUNT = Number(process.env['KUBEKIT_BENCH_ELECTORS'] ?? '1000');
const WINDOW_MS = 30_000;

function liveHeap(): number {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with --expose-gc (npm run bench does)');
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

const require = createRequire(import.meta.url);
const envtestCli = join(
  dirname(require.resolve('@kubekit/envtest/package.json')),
  'dist',
  'bin',
  'kubekit-envtest.js',
);
/** Set in the child processes: which configuration this process measures. */
const MODE_VARIABLE = 'KUBEKIT_BENCH_MANY_ELECTORS_MODE';
const MEASUREMENT = '@@many-electors ';

interface Measurement {
  readonly heapPerElector: number;
  readonly cpuShare: number;
  readonly leading: number;
}

/** Runs COUNT electors with `options` on Leases named `${prefix}-<i>` and measures them in steady state. */
async function measure(
  kubeConfig: KubeConfig,
  prefix: string,
  options: { watchWhileLeading?: boolean },
): Promise<Measurement> {
  const electors: LeaseElector[] = [];
  const stop = new AbortController();
  const runs: Promise<void>[] = [];
  try {
    const registry = new Registry();
    const heapBefore = liveHeap();
    for (let i = 0; i < COUNT; i++) {
      electors.push(
        createLeaseElector({
          kubeConfig,
          name: `${prefix}-${i}`,
          namespace: 'default',
          identity: `bench-${i}`,
          registry,
          events: false,
          ...options,
        }),
      );
    }
    const started = performance.now();
    for (const elector of electors) runs.push(elector.run(stop.signal));
    await Promise.all(electors.map((elector) => elector.whenLeading()));
    console.log(`${prefix}: ${COUNT} electors lead after ${(performance.now() - started).toFixed(0)} ms`);
    // Settle into steady state: every elector renews every retryPeriod from here on.
    await sleep(10_000);

    const cpuBefore = process.cpuUsage();
    const windowStart = performance.now();
    await sleep(WINDOW_MS);
    const cpu = process.cpuUsage(cpuBefore);
    const elapsed = performance.now() - windowStart;
    const heapPerElector = (liveHeap() - heapBefore) / COUNT / 1024;
    const cpuShare = ((cpu.user + cpu.system) / 1000 / elapsed) * 100;
    const leading = electors.filter((elector) => elector.currentTerm() !== undefined).length;
    console.log(`${prefix}: ${leading}/${COUNT} still leading after the window`);
    return { heapPerElector, cpuShare, leading };
  } finally {
    stop.abort();
    await Promise.allSettled(runs);
  }
}

/** Measures one configuration in this process, against its own envtest, and prints the figures. */
async function measureHere(mode: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kubekit-many-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  const server = spawn(process.execPath, [envtestCli, '--kubeconfig-out', kubeconfigPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const lines = createInterface({ input: server.stdout });
    const [ready] = (await once(lines, 'line')) as [string];
    lines.close();
    console.log(`envtest: ${ready}`);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    const options = mode === 'leader-watch' ? { watchWhileLeading: true } : {};
    const figures = await measure(kubeConfig, `many-${mode}`, options);
    console.log(MEASUREMENT + JSON.stringify(figures));
  } finally {
    server.kill('SIGTERM');
    await once(server, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs this script in a child process measuring `mode`; passes its output through. */
async function measureInChild(mode: string): Promise<Measurement> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, [MODE_VARIABLE]: mode },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let figures: Measurement | undefined;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (line.startsWith(MEASUREMENT)) figures = JSON.parse(line.slice(MEASUREMENT.length)) as Measurement;
    else console.log(line);
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (figures === undefined) throw new Error(`the ${mode} measurement failed (exit code ${String(code)})`);
  return figures;
}

const mode = process.env[MODE_VARIABLE];
if (mode !== undefined) {
  await measureHere(mode);
} else {
  const byDefault = await measureInChild('default');
  const leaderWatch = await measureInChild('leader-watch');
  const base = `leaderelection/many-electors`;
  reportFigure({ name: `${base}/electors`, value: COUNT, unit: 'count', goal: null, baseline: null });
  for (const [suffix, figures] of [
    ['', byDefault],
    ['-leader-watch', leaderWatch],
  ] as const) {
    // The heap and CPU goals apply to the default configuration; the opt-in leader watch is shown beside it.
    const goal = (text: string): string | null => (suffix === '' ? text : null);
    reportFigure({
      name: `${base}/still-leading${suffix}`,
      value: figures.leading,
      unit: 'count',
      goal: `>= ${COUNT}`,
      baseline: null,
    });
    reportFigure({
      name: `${base}/heap-per-elector${suffix}`,
      value: figures.heapPerElector,
      unit: 'KB',
      goal: goal('< 50'),
      baseline: null,
    });
    reportFigure({
      name: `${base}/cpu-steady-state${suffix}`,
      value: figures.cpuShare,
      unit: '% of one core',
      goal: goal('< 10'),
      baseline: null,
    });
  }
}
