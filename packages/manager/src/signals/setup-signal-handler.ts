/** The part of `process` that {@link setupSignalHandler} uses (tests pass an `EventEmitter` with `exit`). */
export interface SignalTarget {
  on(event: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  exit(code: number): void;
}

/**
 * An `AbortSignal` that aborts on the first SIGTERM or SIGINT (pass it to `manager.start`); a
 * second signal exits the process at once with code 1 (a stuck shutdown can be cut short). Call it
 * once per process; the listeners stay for the life of the process.
 */
export function setupSignalHandler(target: SignalTarget = process): AbortSignal {
  const controller = new AbortController();
  const onSignal = (name: 'SIGTERM' | 'SIGINT') => (): void => {
    if (controller.signal.aborted) {
      target.exit(1);
      return;
    }
    controller.abort(new Error(`received ${name}`));
  };
  target.on('SIGTERM', onSignal('SIGTERM'));
  target.on('SIGINT', onSignal('SIGINT'));
  return controller.signal;
}
