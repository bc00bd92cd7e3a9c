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

/** How long after its stdin ended a process looks for the sign that its parent has exited. */
const REPARENT_WAIT_MS = 1_000;
const REPARENT_POLL_MS = 50;

/**
 * Whether the parent has exited, seen `waitMs` at most: the kernel gives an orphan a new parent
 * (init or a subreaper), so `parentPid()` no longer answers `parent`. Linux closes the exiting
 * parent's files a moment before it re-parents its children, hence the short wait.
 */
async function parentExited(parent: number, parentPid: () => number, waitMs: number): Promise<boolean> {
  for (let waited = 0; ; waited += REPARENT_POLL_MS) {
    if (parentPid() !== parent) return true;
    if (waited >= waitMs) return false;
    await new Promise((resolve) => setTimeout(resolve, REPARENT_POLL_MS).unref());
  }
}

/**
 * The variable in which a spawner may tell its child its own pid (`String(process.pid)`, see
 * {@link parentPidEnv}): a parent that dies before the child has started watching is then still
 * seen to be gone. Read once and removed from `process.env`, so the child's own children do not
 * inherit it.
 */
export const PARENT_PID_VARIABLE = 'KUBEKIT_PARENT_PID';

/** `{ KUBEKIT_PARENT_PID: <this process's pid> }`, for the environment of a child spawned with the lifeline. */
export function parentPidEnv(): Record<string, string> {
  return { [PARENT_PID_VARIABLE]: String(process.pid) };
}

/** The pid the spawner wrote in {@link PARENT_PID_VARIABLE}, removed from the environment; undefined if none. */
function takeParentPidFromEnv(): number | undefined {
  const text = process.env[PARENT_PID_VARIABLE];
  if (text === undefined) return undefined;
  // Meant for this process only: its children are spawned by it, not by its parent.
  Reflect.deleteProperty(process.env, PARENT_PID_VARIABLE);
  if (!/^[1-9]\d*$/.test(text))
    throw new EnvtestError(
      'invalidOptions',
      `${PARENT_PID_VARIABLE} must be the parent's process id (a positive integer), got "${text}"`,
    );
  return Number(text);
}

/** What {@link whenParentGone} needs besides stdin; the defaults are the real process's. */
export interface ParentWatchOptions {
  /** The current parent's pid (default `process.ppid`). */
  readonly parentPid?: () => number;
  /**
   * The pid of the process that spawned this one, as it said (default: from
   * {@link PARENT_PID_VARIABLE}, when set). If the current parent is already another process, the
   * spawner died before the watch began.
   */
  readonly spawnerPid?: number;
  /** Told when stdin ended but the parent is still there (default: a line on stderr). */
  readonly onStdinEndedParentAlive?: () => void;
}

/**
 * Resolves when the parent has exited, crashed or been killed: `stdin` (a pipe from the parent,
 * which the parent never writes to) ends or fails, and the process has been given a new parent
 * since this was called. An end of stdin while the parent lives on (it closed the pipe, or the
 * process destroyed its own stdin) is not taken for its death: the watch then stops, and the
 * promise stays pending. Starts reading at once (the data read is discarded), so a parent that
 * dies early is not missed; a parent that died even before this was called is seen when it named
 * itself (`spawnerPid`, or {@link PARENT_PID_VARIABLE} in the environment): the process then has
 * another parent already, and the promise resolves at once. Throws an `EnvtestError`
 * (`invalidOptions`) when that variable is not a pid.
 */
export function whenParentGone(stdin: Readable, options: ParentWatchOptions = {}): Promise<void> {
  const parentPid = options.parentPid ?? ((): number => process.ppid);
  const spawner = options.spawnerPid ?? takeParentPidFromEnv();
  const parent = parentPid();
  if (spawner !== undefined && parent !== spawner) {
    // Already re-parented: the spawner died before this process started watching it.
    stdin.resume();
    return Promise.resolve();
  }
  const stillThere =
    options.onStdinEndedParentAlive ??
    ((): void => {
      process.stderr.write('stdin ended but the parent process is still running: no longer watching it\n');
    });
  return new Promise((resolve) => {
    let ended = false;
    const check = (): void => {
      if (ended) return;
      ended = true;
      void parentExited(parent, parentPid, REPARENT_WAIT_MS).then((exited) => {
        if (exited) resolve();
        else stillThere();
      });
    };
    stdin.once('end', check);
    stdin.once('close', check);
    stdin.once('error', check);
    stdin.resume();
  });
}

/** How {@link exitWithParent} stops the process; every field has a default for a real process. */
export interface ExitWithParentOptions extends ParentWatchOptions {
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
 * is still running `graceMs` later (see {@link whenParentGone} for when the parent counts as gone).
 * Output to a reader that went away (EPIPE) is dropped instead of crashing the shutdown. Does not
 * keep the process alive by itself. Throws an `EnvtestError`
 * (`invalidOptions`) when `stdin` is not a pipe (the parent must spawn it with stdio[0] `'pipe'`)
 * or {@link PARENT_PID_VARIABLE} is not a pid.
 */
export function exitWithParent(options: ExitWithParentOptions = {}): void {
  // Taken first, so that it is not inherited by this process's children even when stdin turns out
  // not to be a pipe.
  const spawnerPid = options.spawnerPid ?? takeParentPidFromEnv();
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
  void whenParentGone(stdin, { ...options, ...(spawnerPid === undefined ? {} : { spawnerPid }) }).then(() => {
    setTimeout(() => {
      exit(1);
    }, graceMs).unref();
    terminate();
  });
  // The parent's end of stdout and stderr closes when it dies, maybe before stdin's end is seen:
  // a write then fails with EPIPE, which must not crash the shutdown. Output to a reader that went
  // away is dropped; any other output error is thrown as before.
  const onOutputError = (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EPIPE') throw error;
  };
  process.stdout.on('error', onOutputError);
  process.stderr.on('error', onOutputError);
  // The lifeline only watches: the process ends when its own work does.
  (stdin as Partial<{ unref(): unknown }>).unref?.();
}
