import { spawn, type ChildProcessByStdio, type SpawnOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { EnvtestError } from '../envtest-error.js';
import { parentPidEnv } from './exit-with-parent.js';

/** Where a child's stdout or stderr goes: a pipe to this process, this process's own stream, or nowhere. */
export type LifelineOutput = 'pipe' | 'inherit' | 'ignore';

const OUTPUTS: readonly string[] = ['pipe', 'inherit', 'ignore'] satisfies LifelineOutput[];

/** The stream this process holds for a child's output: a `Readable` for `'pipe'`, else null. */
type OutputStream<T extends LifelineOutput> = T extends 'pipe' ? Readable : null;

/** A child spawned by {@link spawnWithLifeline}: stdin is the lifeline pipe, stdout and stderr as asked. */
export type LifelineChild<
  Out extends LifelineOutput = 'pipe',
  Err extends LifelineOutput = 'pipe',
> = ChildProcessByStdio<Writable, OutputStream<Out>, OutputStream<Err>>;

/**
 * How {@link spawnWithLifeline} runs the script. Every `spawn` option but `stdio` (stdin is the
 * lifeline; stdout and stderr are set apart), `argv0` and `shell` passes through (`cwd`,
 * `detached`, `signal`, …).
 */
export interface SpawnWithLifelineOptions<
  Out extends LifelineOutput = 'pipe',
  Err extends LifelineOutput = 'pipe',
> extends Omit<SpawnOptions, 'stdio' | 'env' | 'argv0' | 'shell'> {
  /** The child's stdout (default `'pipe'`). */
  readonly stdout?: Out;
  /** The child's stderr (default `'pipe'`). */
  readonly stderr?: Err;
  /**
   * Variables set in the child on top of this process's environment; a variable given as
   * `undefined` is removed. `KUBEKIT_PARENT_PID` is always this process's pid.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Node options placed before the preload and the script, e.g. `['--expose-gc']` (default none). */
  readonly execArgv?: readonly string[];
  /**
   * Whether Node preloads `@kubekit/envtest/exit-with-parent` into the script (default true).
   * Pass false for a script that watches the pipe itself, such as `kubekit-envtest
   * --exit-with-parent` (the flag is then the caller's to pass): it gets the pipe and the parent's
   * pid, nothing more.
   */
  readonly preload?: boolean;
}

/** The preload, beside this file once compiled: dist/bin/exit-with-parent.js. */
const exitWithParentUrl = new URL('../bin/exit-with-parent.js', import.meta.url).href;

/**
 * Spawns the Node script `script` with `args` in a child process that dies with this one: run by
 * this process's Node (`process.execPath`) with `--import=@kubekit/envtest/exit-with-parent`, a
 * pipe on stdin that nobody writes to, and `KUBEKIT_PARENT_PID` in its environment (see
 * `exitWithParent`). When this process ends, however it ends (`SIGKILL` included), the child
 * sends itself SIGTERM and exits within the grace time (with `preload: false`, the script's own
 * watch of the pipe decides). Returns the `ChildProcess` at once, as `spawn`
 * does (a script that cannot start shows as its exit, or an `'error'` event). Throws an
 * `EnvtestError` (`invalidOptions`) for a script that is not a non-empty path, an output that
 * is not `'pipe'`, `'inherit'` or `'ignore'`, or a `stdio` option (stdin must stay the lifeline).
 */
export function spawnWithLifeline<Out extends LifelineOutput = 'pipe', Err extends LifelineOutput = 'pipe'>(
  script: string,
  args: readonly string[] = [],
  options: SpawnWithLifelineOptions<Out, Err> = {},
): LifelineChild<Out, Err> {
  const {
    stdout = 'pipe',
    stderr = 'pipe',
    env = {},
    execArgv = [],
    preload = true,
    ...spawnOptions
  } = options;
  if (typeof script !== 'string' || script === '')
    throw new EnvtestError(
      'invalidOptions',
      'spawnWithLifeline: the script must be the path of a Node script, got none',
    );
  if ('stdio' in options)
    throw new EnvtestError(
      'invalidOptions',
      'spawnWithLifeline: pass stdout and stderr instead of stdio; stdin is the pipe the child watches',
    );
  for (const [name, value] of [
    ['stdout', stdout],
    ['stderr', stderr],
  ] as const)
    if (!OUTPUTS.includes(value))
      throw new EnvtestError(
        'invalidOptions',
        `spawnWithLifeline: ${name} must be 'pipe', 'inherit' or 'ignore', got ${JSON.stringify(value)}`,
      );
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) Reflect.deleteProperty(childEnv, name);
    else childEnv[name] = value;
  }
  Object.assign(childEnv, parentPidEnv());
  const argv = [...execArgv, ...(preload ? [`--import=${exitWithParentUrl}`] : []), script, ...args];
  return spawn(process.execPath, argv, {
    ...spawnOptions,
    stdio: ['pipe', stdout, stderr],
    env: childEnv,
  }) as LifelineChild<Out, Err>;
}
