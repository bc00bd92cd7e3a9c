// What every package's benchmarks share: the figure format `npm run bench` collects (see the
// repository's bench/run.mjs), the statistics they print, an envtest server in a child process,
// so that only the clients under test are measured in the benchmark's own process, and a watch on
// one Lease, so that elections are timed from outside the processes that run them.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { spawnWithLifeline } from '../process/spawn-with-lifeline.js';

export { LeaseWatch } from './lease-watch.js';

/** One measured figure, in the form `npm run bench` collects. */
export interface Figure {
  /** `<package>/<benchmark>/<figure>`. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** A comparison against `value` such as `<= 20`, or null. */
  readonly goal: string | null;
  /** The same figure for the baseline, measured in the same run, or null. */
  readonly baseline: number | null;
}

/** Prints one figure for the bench runner. */
export function reportFigure(figure: Figure): void {
  process.stdout.write(`@@bench ${JSON.stringify(figure)}\n`);
}

/** The nearest-rank percentile `p` (0–100) of `values`; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/** The median of `values` (the upper one for an even count; NaN for none). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** `min–max` of `values`, for the spread of a figure. */
export function spread(values: readonly number[], digits = 1): string {
  return `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
}

/** An envtest server in a child process. */
export interface EnvtestProcess {
  readonly kubeConfig: KubeConfig;
  stop(): Promise<void>;
}

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'kubekit-envtest.js');

/**
 * Starts `kubekit-envtest` (with `args`, e.g. `--http1-only`) in a child process and reads its
 * kubeconfig. The child holds a pipe from this process on stdin (`--exit-with-parent`), so it
 * stops even when this process dies without calling `stop()`.
 */
export async function startEnvtestProcess(args: readonly string[] = []): Promise<EnvtestProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'kubekit-bench-'));
  const path = join(dir, 'kubeconfig');
  const child = spawnWithLifeline(cli, ['--kubeconfig-out', path, '--exit-with-parent', ...args], {
    stderr: 'inherit',
    preload: false, // the CLI watches the pipe itself
  });
  const lines = createInterface({ input: child.stdout });
  await once(lines, 'line');
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
