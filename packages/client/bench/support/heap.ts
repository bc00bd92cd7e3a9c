import { GCProfiler } from 'node:v8';

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
