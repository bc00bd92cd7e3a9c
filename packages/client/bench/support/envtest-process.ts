import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { GCProfiler } from 'node:v8';
import { KubeConfig } from '@kubernetes/client-node';

/** One figure, in the form `npm run bench` collects (see bench/run.mjs). */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly goal: string | null;
  readonly baseline: number | null;
}

/** Prints one figure for the bench runner. */
export function reportFigure(figure: Figure): void {
  process.stdout.write(`@@bench ${JSON.stringify(figure)}\n`);
}

/**
 * The live memory after full collections (needs `--expose-gc`): the V8 heap plus the memory
 * outside it that V8 accounts for (Buffers, and large strings Node decodes from them).
 */
export function liveHeap(): number {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with --expose-gc (npm run bench does)');
  collect();
  collect();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

/**
 * Runs `call` and measures the most memory in use while it ran (V8 heap plus external, as
 * {@link liveHeap}), above the live memory before it: the larger of the memory in use before each
 * GC during the call (V8's GC profiler reports it) and at its end. Needs `--expose-gc`.
 */
export async function peakHeap<T>(
  call: () => Promise<T>,
): Promise<{ readonly value: T; readonly peak: number }> {
  const before = liveHeap();
  const profiler = new GCProfiler();
  profiler.start();
  const value = await call();
  const { heapUsed, external } = process.memoryUsage();
  const stats = profiler.stop().statistics;
  const inUse = stats.map(
    (gc) => gc.beforeGC.heapStatistics.usedHeapSize + gc.beforeGC.heapStatistics.externalMemory,
  );
  const peak = Math.max(heapUsed + external, ...inUse);
  return { value, peak: peak - before };
}

/** `min–max` of `values`, for the spread of a figure. */
export function spread(values: readonly number[], digits = 1): string {
  return `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** An envtest server in a child process (so that only the clients are measured here). */
export interface EnvtestProcess {
  readonly kubeConfig: KubeConfig;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
const cli = join(
  dirname(require.resolve('@kubekit/envtest/package.json')),
  'dist',
  'bin',
  'kubekit-envtest.js',
);

export async function startEnvtestProcess(): Promise<EnvtestProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'kubekit-client-bench-'));
  const path = join(dir, 'kubeconfig');
  const child: ChildProcess = spawn(process.execPath, [cli, '--kubeconfig-out', path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.stdout === null) throw new Error('no stdout');
  const lines = createInterface({ input: child.stdout });
  const [first] = (await once(lines, 'line')) as [string];
  JSON.parse(first);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  return {
    kubeConfig,
    stop: async () => {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      lines.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
