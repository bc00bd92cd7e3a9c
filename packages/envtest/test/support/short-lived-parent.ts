import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { processRunning, waitForProcessExit } from '@kubekit/envtest/testing';

/**
 * A worker (an ES module) that prints `ready`, then runs until SIGTERM, whose handler writes
 * `stopped` to the file named by `MARK`: with a grace time longer than a test waits, only that
 * handler can end it, and the file shows it ran.
 */
export const MARKS_SIGTERM = `
import { writeFileSync } from 'node:fs';
const timer = setInterval(() => undefined, 1000);
process.on('SIGTERM', () => { writeFileSync(process.env.MARK, 'stopped'); clearInterval(timer); });
console.log('ready');
`;

/** A parent process a test started, and the worker it spawned. */
export interface ShortLivedParent {
  readonly parent: ChildProcess;
  /** The worker's pid. */
  readonly pid: number;
  /** The worker's first line. */
  readonly line: string;
}

/**
 * Runs the ES module `source` as the parent (`node -e`, `args` after it, its stderr inherited):
 * it spawns a worker and prints `{ pid, line }`, the worker's pid and first line, as its own first
 * line. Resolves once it has; rejects if the parent exits first.
 */
export async function startParent(
  source: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ShortLivedParent> {
  const parent = spawn(process.execPath, ['--input-type=module', '-e', source, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  const lines = createInterface({ input: parent.stdout });
  const exited = once(parent, 'exit').then(([code]: unknown[]) => {
    throw new Error(`the parent exited (${String(code)}) before it reported its worker`);
  });
  const [first] = (await Promise.race([once(lines, 'line'), exited])) as [string];
  exited.catch(() => undefined);
  lines.close();
  return { parent, ...(JSON.parse(first) as { pid: number; line: string }) };
}

/**
 * Kills `parent` with SIGKILL and waits for its end; resolves whether the worker `pid` stopped
 * within 20 s after (generous for a loaded machine: a worker with the lifeline stops within
 * milliseconds).
 */
export async function killParent(parent: ChildProcess, pid: number): Promise<boolean> {
  const exited = once(parent, 'exit');
  parent.kill('SIGKILL');
  await exited;
  return waitForProcessExit(pid, 20_000);
}

/** What became of a {@link MARKS_SIGTERM} worker whose parent was killed with SIGKILL. */
export interface SigkilledParentOutcome {
  /** The worker's first line (`ready`). */
  readonly line: string;
  /** Whether the worker ran just before its parent was killed. */
  readonly runningBefore: boolean;
  /** Whether the worker stopped within 20 s after. */
  readonly stopped: boolean;
  /** What its SIGTERM handler wrote (`stopped`), or null if it did not run. */
  readonly mark: string | null;
}

/**
 * Starts the parent `source` with `args` so that it spawns a {@link MARKS_SIGTERM} worker (with
 * a grace time longer than the wait, so that only the worker's SIGTERM handler can end it), kills
 * the parent with SIGKILL, and tells what became of the worker. Both pids go into `started`, for
 * the test to clean up.
 */
export async function sigkillParentOfMarkingWorker(
  source: string,
  args: readonly string[],
  started: number[],
): Promise<SigkilledParentOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'sigkilled-parent-'));
  try {
    const mark = join(dir, 'sigterm');
    const { parent, pid, line } = await startParent(source, args, {
      ...process.env,
      MARK: mark,
      KUBEKIT_EXIT_WITH_PARENT_GRACE_MS: '600000',
    });
    started.push(parent.pid ?? 0, pid);
    const runningBefore = processRunning(pid);
    const stopped = await killParent(parent, pid);
    return { line, runningBefore, stopped, mark: existsSync(mark) ? readFileSync(mark, 'utf8') : null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
