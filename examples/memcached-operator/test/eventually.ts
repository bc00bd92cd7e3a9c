import { setTimeout as sleep } from 'node:timers/promises';

/** Calls `check` every 20 ms until it returns without throwing (resolving its value) or `timeoutMs` passed (rejecting with its last error). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await sleep(20);
    }
  }
}
