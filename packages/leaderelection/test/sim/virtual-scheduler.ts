/** A cancellable scheduled callback. */
export interface Scheduled {
  cancel(): void;
}

interface Entry {
  readonly time: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

/**
 * Discrete-event time: callbacks run in order of (time, insertion), and after each one every
 * promise continuation it caused runs before the next (one `setImmediate` turn drains the
 * microtask queue, since nothing driven by it uses real timers or I/O). `now` is true time in ms.
 */
export class VirtualScheduler {
  private heap: Entry[] = [];
  private seq = 0;
  private nowValue = 0;

  get now(): number {
    return this.nowValue;
  }

  get pending(): number {
    return this.heap.length;
  }

  at(time: number, run: () => void): Scheduled {
    const entry: Entry = { time: Math.max(time, this.nowValue), seq: this.seq++, run, cancelled: false };
    this.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  /** Runs callbacks up to and including `until`; then sets `now` to `until`. */
  async runUntil(until: number, afterEach?: () => void): Promise<void> {
    // Whatever the caller started (or aborted) since the last step schedules its timers first.
    await this.settle();
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.time > until) break;
      this.pop();
      if (top.cancelled) continue;
      this.nowValue = top.time;
      top.run();
      await new Promise<void>((resolve) => setImmediate(resolve));
      afterEach?.();
    }
    this.nowValue = Math.max(this.nowValue, until);
  }

  /** Lets pending promise continuations run without advancing time. */
  async settle(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private less(a: Entry, b: Entry): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!this.less(entry, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && this.less(heap[right]!, heap[left]!) ? right : left;
      if (!this.less(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}
