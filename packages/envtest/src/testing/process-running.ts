import { readFileSync } from 'node:fs';

/**
 * Whether process `pid` is running: it exists (`process.kill(pid, 0)`) and, on Linux, is not a
 * zombie (a process that has exited but that its parent, or the reaper that adopted it, has not
 * waited for yet counts as gone). For tests that a child process ended.
 */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/**
 * Resolves with `true` once process `pid` is no longer running (see {@link processRunning}), or
 * with `false` if it still runs after `timeoutMs`; checks every 20 ms.
 */
export async function waitForProcessExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (processRunning(pid)) {
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
