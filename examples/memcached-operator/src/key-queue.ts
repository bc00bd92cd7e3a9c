import type { Request } from '@kubekit/reconcile';

/**
 * A deduplicating queue of requests for one worker: a request added while queued is queued once;
 * `addAfter` adds it later (the earliest pending time wins). Part of the stand-in controller
 * (see `ReconcileLoop`); `@kubekit/reconcile`'s work queue replaces it.
 */
export class KeyQueue {
  private readonly queued = new Map<string, Request>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private wake: (() => void) | undefined;

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => {
      this.dispose();
    });
  }

  add(request: Request): void {
    if (this.signal.aborted) return;
    const key = keyOf(request);
    const pending = this.timers.get(key);
    if (pending !== undefined) {
      clearTimeout(pending.timer);
      this.timers.delete(key);
    }
    this.queued.set(key, request);
    this.wake?.();
  }

  addAfter(request: Request, ms: number): void {
    if (this.signal.aborted) return;
    const key = keyOf(request);
    if (this.queued.has(key)) return;
    const at = performance.now() + ms;
    const pending = this.timers.get(key);
    if (pending !== undefined) {
      if (pending.at <= at) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(request);
    }, ms);
    this.timers.set(key, { at, timer });
  }

  /** The next request; resolves `undefined` once the signal aborted. */
  async next(): Promise<Request | undefined> {
    while (!this.signal.aborted) {
      const first = this.queued.entries().next();
      if (first.done !== true) {
        this.queued.delete(first.value[0]);
        return first.value[1];
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve; // called by add() and on abort (dispose)
      });
      this.wake = undefined;
    }
    return undefined;
  }

  private dispose(): void {
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queued.clear();
    this.wake?.();
  }
}

function keyOf(request: Request): string {
  return `${request.namespace}/${request.name}`;
}
