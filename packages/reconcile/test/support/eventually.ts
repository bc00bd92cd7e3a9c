import type { FakeClock } from './fake-clock.js';

/**
 * Waits (in real time, up to `timeoutMs`) until `condition` holds, checking every 10 ms; with a
 * fake clock, moves virtual time forward by `stepMs` between checks.
 */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  options: { timeoutMs?: number; clock?: FakeClock; stepMs?: number } = {},
): Promise<void> {
  const deadline = performance.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (await condition()) return;
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    if (options.clock !== undefined) await options.clock.advance(options.stepMs ?? 100);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
