/**
 * A level-free notification: every listener `add`ed is called at the next `notify()`, once, and
 * then forgotten. Holds no handle.
 */
export class Wakeup {
  private readonly listeners = new Set<() => void>();

  /** Calls `listener` at the next `notify()` (once), unless `delete`d first. */
  add(listener: () => void): void {
    this.listeners.add(listener);
  }

  delete(listener: () => void): void {
    this.listeners.delete(listener);
  }

  notify(): void {
    if (this.listeners.size === 0) return;
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener();
  }
}
