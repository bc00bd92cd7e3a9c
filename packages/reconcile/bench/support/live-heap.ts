/** The live heap after full collections (needs `--expose-gc`, which `npm run bench` passes). */
export function liveHeap(): number {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with --expose-gc');
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}
