/**
 * A growable FIFO ring of values with a stamp beside each (to tell a stale slot from a live one
 * without allocating per push).
 */
export class Ring<T> {
  #values: (T | undefined)[] = new Array<T | undefined>(16);
  #stamps: number[] = new Array<number>(16).fill(0);
  #head = 0;
  #size = 0;

  push(value: T, stamp: number): void {
    if (this.#size === this.#values.length) this.#grow();
    const index = (this.#head + this.#size) & (this.#values.length - 1);
    this.#values[index] = value;
    this.#stamps[index] = stamp;
    this.#size += 1;
  }

  /** The oldest value (undefined when empty). */
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#values[this.#head];
  }

  peekStamp(): number {
    return this.#stamps[this.#head] ?? 0;
  }

  shift(): void {
    this.#values[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#values.length - 1);
    this.#size -= 1;
  }

  #grow(): void {
    const length = this.#values.length;
    const values = new Array<T | undefined>(length * 2);
    const stamps = new Array<number>(length * 2).fill(0);
    for (let i = 0; i < this.#size; i++) {
      const from = (this.#head + i) & (length - 1);
      values[i] = this.#values[from];
      stamps[i] = this.#stamps[from] ?? 0;
    }
    this.#values = values;
    this.#stamps = stamps;
    this.#head = 0;
  }
}
