/** A binary min-heap of (readyAt, key) pairs, for items added with a delay. */
export class DelayHeap<K> {
  readonly #nodes: { at: number; key: K }[] = [];

  get size(): number {
    return this.#nodes.length;
  }

  /** The earliest ready time (Infinity when empty). */
  peekAt(): number {
    return this.#nodes[0]?.at ?? Infinity;
  }

  push(at: number, key: K): void {
    const nodes = this.#nodes;
    const node = { at, key };
    let i = nodes.length;
    nodes.push(node);
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = nodes[parentIndex];
      if (parent === undefined || parent.at <= at) break;
      nodes[i] = parent;
      i = parentIndex;
    }
    nodes[i] = node;
  }

  /** Removes and returns the earliest key; undefined when empty. */
  pop(): K | undefined {
    const nodes = this.#nodes;
    const top = nodes[0];
    const last = nodes.pop();
    if (top === undefined || last === undefined) return undefined;
    if (nodes.length === 0) return top.key;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = last;
      let smallestIndex = -1;
      const l = nodes[left];
      const r = nodes[right];
      if (l !== undefined && l.at < smallest.at) {
        smallest = l;
        smallestIndex = left;
      }
      if (r !== undefined && r.at < smallest.at) {
        smallest = r;
        smallestIndex = right;
      }
      if (smallestIndex < 0) break;
      nodes[i] = smallest;
      i = smallestIndex;
    }
    nodes[i] = last;
    return top.key;
  }

  clear(): void {
    this.#nodes.length = 0;
  }
}
