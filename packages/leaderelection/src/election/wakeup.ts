/** A level-free notification: `wait()` resolves at the next `notify()`. Holds no handle. */
export class Wakeup {
  private resolve: (() => void) | undefined;
  private promise: Promise<void> | undefined;

  wait(): Promise<void> {
    this.promise ??= new Promise<void>((resolve) => {
      this.resolve = resolve;
    });
    return this.promise;
  }

  notify(): void {
    const resolve = this.resolve;
    this.promise = undefined;
    this.resolve = undefined;
    resolve?.();
  }
}
