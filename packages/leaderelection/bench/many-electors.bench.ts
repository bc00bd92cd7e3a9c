// Cost of the lease-based elector at scale: 1,000 LeaderElectors in this process, each leading
// its own Lease at client-go's default timings (15 s / 10 s / 2 s), against an embedded API
// server running in a separate process (so that only the electors' heap and CPU are measured),
// once over HTTP/2 (envtest offers h2 by ALPN, as kube-apiserver does) and once over HTTP/1.1
// (envtest started with --http1-only).
// Heap: growth of the live heap (after full GCs) from before the electors existed to steady
// state, per elector. CPU: this process's user + system time over a steady-state window, as a
// share of one core. KUBEKIT_BENCH_ELECTORS overrides the count. Measured twice in one run, each
// in a fresh process of this script with its own envtest (so that no heap figure includes
// another's leftovers): the default configuration (a leader closes its watch, as client-go's
// leaders have none) over each protocol, then `watchWhileLeading: true` (each renew also comes
// back to its leader as a watch event) over each protocol, whose figures are printed for
// information. Each measurement also reports the connections envtest accepted and the protocol of
// the requests it served (from `/_envtest/connections`), so the protocol used is shown, not assumed.
import { once } from 'node:events';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { createLeaseElector, type LeaseElector } from '@kubekit/leaderelection';
import { spawnWithLifeline } from '@kubekit/envtest';
import { reportFigure } from '@kubekit/envtest/bench';
import { sleep } from '../test/support/wait.js';

const COUNT = Number(process.env['KUBEKIT_BENCH_ELECTORS'] ?? '1000');
const WINDOW_MS = 30_000;
/**
 * A measurement whose process grows beyond this resident size stops (the machine is shared): from
 * inside, and from the parent process, which also catches a process whose event loop no longer
 * runs (an HTTP/2 session spinning in native code, as before the client's HTTP/2 abort guard).
 */
const RSS_LIMIT_BYTES = 4 * 1024 ** 3;

/** The resident size of process `pid` in bytes (Linux), or 0 when unknown. */
function residentBytes(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}
/** Electors that do not all lead within this long fail the measurement. */
const LEAD_TIMEOUT_MS = 120_000;

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
  /** TLS connections envtest accepted during the run. */
  readonly connections: number;
  /** Requests envtest served over HTTP/2 and HTTP/1.1. */
  readonly requests: { readonly h2: number; readonly 'http/1.1': number };
}

type Protocol = 'h2' | 'http/1.1';
const MODES = ['default', 'leader-watch'] as const;
type Mode = (typeof MODES)[number];

/** What envtest saw of the connections: `GET /_envtest/connections` as the admin. */
async function connectionStats(
  kubeConfig: KubeConfig,
): Promise<Pick<Measurement, 'connections' | 'requests'>> {
  const cluster = kubeConfig.getCurrentCluster();
  const token = kubeConfig.getCurrentUser()?.token;
  if (cluster === null || token === undefined)
    throw new Error('the envtest kubeconfig has no cluster or token');
  const body = await new Promise<string>((resolve, reject) => {
    const req = httpsRequest(
      new URL('/_envtest/connections', cluster.server),
      {
        headers: { authorization: `Bearer ${token}` },
        ca: Buffer.from(cluster.caData ?? '', 'base64'),
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          resolve(text);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
  const stats = JSON.parse(body) as { accepted: number; requests: Measurement['requests'] };
  // This request itself came over HTTP/1.1 on a connection of its own.
  return {
    connections: stats.accepted - 1,
    requests: { h2: stats.requests.h2, 'http/1.1': stats.requests['http/1.1'] - 1 },
  };
}

/** Runs COUNT electors with `options` on Leases named `${prefix}-<i>` and measures them in steady state. */
async function measure(
  kubeConfig: KubeConfig,
  prefix: string,
  options: { watchWhileLeading?: boolean },
): Promise<Omit<Measurement, 'connections' | 'requests'>> {
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
    await Promise.all(electors.map((elector) => elector.whenLeading(AbortSignal.timeout(LEAD_TIMEOUT_MS))));
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
async function measureHere(mode: Mode, protocol: Protocol): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kubekit-many-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  const flags = protocol === 'h2' ? [] : ['--http1-only'];
  // --exit-with-parent: the server stops with this process even if it is killed.
  const server = spawnWithLifeline(
    envtestCli,
    ['--kubeconfig-out', kubeconfigPath, '--exit-with-parent', ...flags],
    {
      stderr: 'inherit',
      preload: false, // the CLI watches the pipe itself
    },
  );
  const guard = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss <= RSS_LIMIT_BYTES) return;
    console.log(`${mode} over ${protocol}: resident size ${(rss / 1024 ** 3).toFixed(1)} GB, stopping`);
    server.kill('SIGKILL');
    process.exit(3);
  }, 1000);
  try {
    const lines = createInterface({ input: server.stdout });
    const [ready] = (await once(lines, 'line')) as [string];
    lines.close();
    console.log(`envtest: ${ready}`);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    const options = mode === 'leader-watch' ? { watchWhileLeading: true } : {};
    const label = `many-${mode}-${protocol === 'h2' ? 'h2' : 'http1'}`;
    const figures = await measure(kubeConfig, label, options);
    const served = await connectionStats(kubeConfig);
    console.log(
      `${label}: ${served.connections} TLS connections, requests h2 ${served.requests.h2} / http/1.1 ${served.requests['http/1.1']}`,
    );
    console.log(MEASUREMENT + JSON.stringify({ ...figures, ...served }));
  } finally {
    clearInterval(guard);
    server.kill('SIGTERM');
    await once(server, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs this script in a child process measuring `mode`; passes its output through. */
async function measureInChild(mode: Mode, protocol: Protocol): Promise<Measurement> {
  // Its own process group, so that stopping it from here also stops its envtest; with the
  // lifeline, so that it stops when this process dies, even by SIGKILL.
  const child = spawnWithLifeline(fileURLToPath(import.meta.url), [], {
    execArgv: process.execArgv,
    env: { [MODE_VARIABLE]: `${mode} ${protocol}` },
    stderr: 'inherit',
    detached: true,
  });
  const guard = setInterval(() => {
    const rss = residentBytes(child.pid);
    if (rss <= RSS_LIMIT_BYTES || child.pid === undefined) return;
    console.log(
      `${mode} over ${protocol}: resident size ${(rss / 1024 ** 3).toFixed(1)} GB, stopped from outside`,
    );
    process.kill(-child.pid, 'SIGKILL');
  }, 1000);
  let figures: Measurement | undefined;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (line.startsWith(MEASUREMENT)) figures = JSON.parse(line.slice(MEASUREMENT.length)) as Measurement;
    else console.log(line);
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  clearInterval(guard);
  if (figures === undefined)
    throw new Error(`the ${mode} measurement over ${protocol} failed (exit code ${String(code)})`);
  return figures;
}

const variable = process.env[MODE_VARIABLE];
if (variable !== undefined) {
  const [mode, protocol] = variable.split(' ') as [Mode, Protocol];
  await measureHere(mode, protocol);
} else {
  const base = `leaderelection/many-electors`;
  reportFigure({ name: `${base}/electors`, value: COUNT, unit: 'count', goal: null, baseline: null });
  for (const mode of MODES) {
    for (const protocol of ['h2', 'http/1.1'] as const) {
      let figures: Measurement;
      try {
        figures = await measureInChild(mode, protocol);
      } catch (error) {
        // The other measurements still run; the benchmark fails at the end.
        console.log(error instanceof Error ? error.message : String(error));
        process.exitCode = 1;
        continue;
      }
      console.log(`${mode} over ${protocol}: ${JSON.stringify(figures)}`);
      // The heap and CPU goals apply to the default configuration over either protocol; the opt-in
      // leader watch is shown beside it.
      const goal = (text: string): string | null => (mode === 'default' ? text : null);
      const suffix = `${mode === 'default' ? '' : '-leader-watch'}-${protocol === 'h2' ? 'h2' : 'http1'}`;
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
      reportFigure({
        name: `${base}/tls-connections${suffix}`,
        value: figures.connections,
        unit: 'count',
        goal: null,
        baseline: null,
      });
      reportFigure({
        name: `${base}/requests-over-${protocol === 'h2' ? 'h2' : 'http1'}${suffix}`,
        value: figures.requests[protocol],
        unit: 'count',
        goal: null,
        baseline: null,
      });
      const other = protocol === 'h2' ? 'http/1.1' : 'h2';
      reportFigure({
        name: `${base}/requests-over-${other === 'h2' ? 'h2' : 'http1'}${suffix}`,
        value: figures.requests[other],
        unit: 'count',
        // Over HTTP/2 every request must have used it; envtest --http1-only offers nothing else.
        goal: protocol === 'h2' ? '== 0' : null,
        baseline: null,
      });
    }
  }
}
