import type { Logger, Term } from '@kubekit/leaderelection';
import { runnable, type Runnable, type RunnableContext } from '@kubekit/manager';

/** One thing a test runnable did, stamped with `performance.now()` (virtual under fake timers). */
export interface Step {
  readonly what: string;
  readonly at: number;
  readonly epoch?: number;
}

/** Records what the test runnables of one test do, in order. */
export class Recorder {
  readonly steps: Step[] = [];

  note(what: string, epoch?: number): void {
    this.steps.push(
      epoch === undefined ? { what, at: performance.now() } : { what, at: performance.now(), epoch },
    );
  }

  /** The `what` of every step, in order. */
  whats(): string[] {
    return this.steps.map((step) => step.what);
  }

  /** The steps whose `what` is exactly `what`. */
  find(what: string): Step[] {
    return this.steps.filter((step) => step.what === what);
  }

  /** A runnable that notes `start <name>` / `stop <name>` and stops when its signal aborts. */
  runnable(
    name: string,
    options: {
      readonly needLeaderElection?: boolean;
      /** How long it takes to stop once its signal aborted (ms, on the global timers). */
      readonly stopDelayMs?: number;
      /** Never stops by itself: ignores its signal until `release()` is called. */
      readonly ignoreSignal?: boolean;
      /** Rejects with this error this many ms after starting. */
      readonly failAfterMs?: { readonly ms: number; readonly error: Error };
      readonly restartable?: boolean;
      /** Receives the term each run is given. */
      readonly terms?: (Term | undefined)[];
    } = {},
  ): Runnable & { release(): void } {
    let release: () => void = () => undefined;
    const start = async (signal: AbortSignal, context?: RunnableContext): Promise<void> => {
      options.terms?.push(context?.term);
      this.note(`start ${name}`, context?.term?.epoch);
      const failure = options.failAfterMs;
      await new Promise<void>((resolve, reject) => {
        release = resolve;
        if (failure !== undefined) {
          setTimeout(() => {
            reject(failure.error);
          }, failure.ms);
        }
        if (options.ignoreSignal === true) return;
        const onAbort = (): void => {
          this.note(`abort ${name}`);
          if (options.stopDelayMs === undefined) resolve();
          else setTimeout(resolve, options.stopDelayMs);
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      this.note(`stop ${name}`);
    };
    const made = runnable(start, {
      needLeaderElection: options.needLeaderElection ?? true,
      restartable: options.restartable ?? true,
    });
    return Object.assign(made, {
      release: () => {
        release();
      },
    });
  }
}

/** A Logger that keeps every line. */
export function memoryLogger(): Logger & { lines: { level: string; message: string; fields: object }[] } {
  const lines: { level: string; message: string; fields: object }[] = [];
  const at =
    (level: string) =>
    (fields: object, message: string): void => {
      lines.push({ level, message, fields });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
