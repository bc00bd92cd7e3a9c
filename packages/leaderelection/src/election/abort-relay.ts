/**
 * One `abort` listener on a signal, relayed to listeners that come and go cheaply. Adding and
 * removing an `EventTarget` listener walks the signal's whole listener list; on a signal shared by
 * a thousand electors (one stop signal for a whole process) that walk, once per wait, showed in
 * the profile. Listeners are called once, at the abort, and then forgotten.
 */
export class AbortRelay implements Disposable {
  private readonly listeners = new Set<() => void>();
  private readonly onAbort = (): void => {
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener();
  };

  constructor(readonly signal: AbortSignal) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Calls `listener` when the signal aborts (once), unless `delete`d first. */
  add(listener: () => void): void {
    this.listeners.add(listener);
  }

  delete(listener: () => void): void {
    this.listeners.delete(listener);
  }

  /** Removes the listener from the signal; listeners still added are never called. */
  [Symbol.dispose](): void {
    this.signal.removeEventListener('abort', this.onAbort);
    this.listeners.clear();
  }
}
