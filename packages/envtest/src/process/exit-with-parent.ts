import { fstatSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { EnvtestError } from '../envtest-error.js';

/**
 * Whether `stdin` can tell a process that its parent has gone: a pipe or socket (its end comes
 * when every writer has exited, however the parent ended, SIGKILL included), not a terminal or a
 * file. A stream without a descriptor (a test's) counts as a pipe.
 */
export function isParentPipe(stdin: Readable): boolean {
  const fd = (stdin as { fd?: unknown }).fd;
  if (typeof fd !== 'number') return true;
  const stat = fstatSync(fd);
  return stat.isFIFO() || stat.isSocket();
}

/**
 * Resolves when `stdin` (a pipe from the parent, which the parent never writes to) ends or
 * fails: the parent has exited, crashed or been killed. Starts reading at once (the data read is
 * discarded), so a parent that dies early is not missed.
 */
export function whenParentGone(stdin: Readable): Promise<void> {
  return new Promise((resolve) => {
    stdin.once('end', resolve);
    stdin.once('close', resolve);
    stdin.once('error', resolve);
    stdin.resume();
  });
}

/** How {@link exitWithParent} stops the process; every field has a default for a real process. */
export interface ExitWithParentOptions {
  /** The pipe from the parent (default `process.stdin`). */
  readonly stdin?: Readable;
  /** How long the process may take to stop after the SIGTERM before it is exited (default 5000 ms). */
  readonly graceMs?: number;
  /** Sends the SIGTERM (default `process.kill(process.pid, 'SIGTERM')`). */
  readonly terminate?: () => void;
  /** Exits the process once the grace time has passed (default: says so on stderr, then `process.exit`). */
  readonly exit?: (code: number) => void;
}

/** Default grace time after the parent's death, overridable by `KUBEKIT_EXIT_WITH_PARENT_GRACE_MS`. */
function defaultGraceMs(): number {
  const text = process.env['KUBEKIT_EXIT_WITH_PARENT_GRACE_MS'];
  if (text === undefined) return 5_000;
  if (!/^\d+$/.test(text))
    throw new EnvtestError(
      'invalidOptions',
      `KUBEKIT_EXIT_WITH_PARENT_GRACE_MS must be a non-negative integer of milliseconds, got "${text}"`,
    );
  return Number(text);
}

/**
 * Ties this process's life to its parent's: when `stdin` (a pipe from the parent) closes, the
 * process sends itself SIGTERM, so it stops the way a SIGTERM from outside stops it (its own
 * graceful shutdown; without a handler, the default action ends it), and exits with code 1 if it
 * is still running `graceMs` later. Output to the dead parent's pipes then fails silently instead
 * of crashing the shutdown. Does not keep the process alive by itself. Throws an `EnvtestError`
 * (`invalidOptions`) when `stdin` is not a pipe: the parent must spawn it with stdio[0] `'pipe'`.
 */
export function exitWithParent(options: ExitWithParentOptions = {}): void {
  const stdin = options.stdin ?? process.stdin;
  const graceMs = options.graceMs ?? defaultGraceMs();
  const terminate =
    options.terminate ??
    ((): void => {
      process.kill(process.pid, 'SIGTERM');
    });
  const exit =
    options.exit ??
    ((code: number): void => {
      process.stderr.write(`parent process gone; not stopped ${String(graceMs)} ms after SIGTERM, exiting\n`);
      process.exit(code);
    });
  if (!isParentPipe(stdin))
    throw new EnvtestError(
      'invalidOptions',
      'exit with parent: stdin must be a pipe from the parent process (spawn it with stdio[0] "pipe"), not a terminal or a file',
    );
  void whenParentGone(stdin).then(() => {
    const quiet = (): void => undefined;
    process.stdout.on('error', quiet);
    process.stderr.on('error', quiet);
    setTimeout(() => {
      exit(1);
    }, graceMs).unref();
    terminate();
  });
  // The lifeline only watches: the process ends when its own work does.
  (stdin as Partial<{ unref(): unknown }>).unref?.();
}
