import type { Subscription } from 'rxjs';
import type { Elector, Term } from '../election/elector.js';
import type { ElectCliOptions } from './elect-cli-options.js';
import { EventPrinter, type LineSink } from './event-printer.js';
import { LeaderCommand, type CommandExit } from './leader-command.js';
import type { CommandSupervision } from './command-supervision.js';
import { LeaderElectionError } from '../leader-election-error.js';

/** An elector as the CLI drives it: the common contract plus what stopping and killing need. */
export interface CliElector {
  readonly elector: Elector;
  /** Decides, before `run` reads it after draining, whether the lock is released on stopping. */
  setReleaseOnStop(release: boolean): void;
  /** After `run` has resolved: whether the lock was released while stopping. */
  released(): boolean;
  /** The elector's monotonic clock, on which `Term.exclusiveUntil()` is given. */
  now(): number;
  /**
   * How long before a lost term's `exclusiveUntil()` its command must be dead, in ms: a margin for
   * clocks that run at different rates and for the kill to land.
   */
  readonly driftMarginMs: number;
  /**
   * How long a voluntary stop waits for the command while the lock is still held, in ms: the
   * elector's drain timeout. The command is sent SIGKILL before it ends.
   */
  readonly drainMs: number;
}

/** What {@link runElectCli} needs from its surroundings; the bin passes the process's own. */
export interface ElectCliContext {
  readonly stdout: LineSink;
  readonly stderr: LineSink;
  /** Aborts on SIGTERM/SIGINT. */
  readonly shutdown: AbortSignal;
  /** How a command is made to die with this process (`probeCommandSupervision()`); default none. */
  readonly supervision?: CommandSupervision;
  /** Builds the elector for the options; errors become the `error` event and exit code 1. */
  createElector(options: ElectCliOptions, onError: (message: string) => void): Promise<CliElector>;
}

/** Until when, on `cli`'s clock, a command may run after its term ended by loss: `exclusiveUntil` less the margin. */
function lossDeadline(cli: CliElector, term: Term): number {
  return Math.min(term.exclusiveUntil() - cli.driftMarginMs, cli.now() + cli.drainMs);
}

/** Kills `command` at once; resolves whether it (and its group) died within `ms`. */
async function diesWithin(command: LeaderCommand, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  try {
    return await Promise.race([command.stop(0).then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long before its bound a command still running is sent SIGKILL instead of SIGTERM, in ms. */
function killWindowMs(boundMs: number): number {
  return Math.min(1_000, boundMs / 4);
}

/**
 * Runs `kubekit-elect` until it is told to stop or its command exits by itself; resolves with the
 * process exit code: the command's own when it exited by itself, 0 after SIGTERM/SIGINT, 1 when
 * the elector could not be built or failed for good, 2 when a command cannot be made to die with
 * this process and `--allow-orphans` was not given.
 *
 * The lock is released (when asked to) only once the command and every process of its group are
 * confirmed dead; when they are not by the drain bound, it is not released (the lease expires) and
 * an error names the command.
 */
export async function runElectCli(options: ElectCliOptions, context: ElectCliContext): Promise<number> {
  let identity = options.identity ?? '';
  let printer = new EventPrinter(context.stdout, identity, options.json);
  const reportError = (message: string): void => {
    printer.print('error', { message });
  };

  const supervision = context.supervision ?? { kind: 'none', why: 'no supervision was set up' };
  if (options.command.length > 0 && supervision.kind === 'none' && !options.allowOrphans) {
    reportError(
      new LeaderElectionError(
        'invalidConfig',
        `kubekit-elect: cannot make the command die with kubekit-elect here (${supervision.why}): if kubekit-elect were killed (SIGKILL, the OOM killer), the command would keep running without the lock. Install util-linux's setpriv, or pass --allow-orphans to accept that`,
      ).message,
    );
    return 2;
  }

  let cli: CliElector;
  try {
    cli = await context.createElector(options, reportError);
  } catch (error) {
    reportError((error as Error).message);
    return 1;
  }
  identity = cli.elector.identity;
  printer = new EventPrinter(context.stdout, identity, options.json);
  printer.print('started', { lock: cli.elector.lockDescription });

  const stop = new AbortController();
  let exitCode = 0;
  /** The command of the current or last term, until it is confirmed dead. */
  let command: LeaderCommand | undefined;
  /** The command of a lost term while it may still run (its grace after the loss). */
  let graced: LeaderCommand | undefined;
  const otherLeads = (leader = cli.elector.currentLeader()): boolean =>
    leader !== undefined && leader !== '' && leader !== identity;
  // Release only what was asked for, and never while a command may still run.
  let releaseWanted = false;
  const applyRelease = (): void => {
    cli.setReleaseOnStop(releaseWanted && command === undefined);
  };
  applyRelease();

  const stopElector = (release: boolean, code: number): void => {
    if (stop.signal.aborted) return;
    exitCode = code;
    releaseWanted = release;
    applyRelease();
    stop.abort();
  };

  /**
   * Stops `running` by `deadline` (on `cli`'s clock): SIGTERM now, SIGKILL a little before; an
   * error names it if it is not confirmed dead by then (by a second after an immediate kill).
   */
  const stopBy = (running: LeaderCommand, deadline: number): Promise<unknown> => {
    const boundMs = Math.max(0, deadline - cli.now());
    const stopped = running.stop(Math.max(0, boundMs - killWindowMs(boundMs)));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(boundMs, 1_000));
    });
    void Promise.race([stopped.then(() => true), late.then(() => false)]).then((dead) => {
      clearTimeout(timer);
      if (dead) return;
      reportError(
        `command ${running.describe()} (process group ${String(running.pid)}) is still running ${String(Math.round(boundMs))} ms after it was told to stop${stop.signal.aborted ? '; the lock is not released: it expires' : ''}`,
      );
    });
    return stopped;
  };

  const startCommand = async (term: Term): Promise<void> => {
    // One command at a time: the last term's must be gone before this term's starts.
    await command?.exited;
    if (options.command.length === 0 || stop.signal.aborted || term.signal.aborted) return;
    const running = new LeaderCommand(options.command, { supervision, onError: reportError });
    command = running;
    applyRelease();
    // `exited` resolves once the whole group is dead. Tracked: the elector holds the lock until
    // then on a voluntary stop, and releases only if the command is confirmed dead by then.
    const gone = running.exited.then((exit: CommandExit) => {
      if (command === running) command = undefined;
      applyRelease();
      return exit;
    });
    void term.track(gone, `command ${running.describe()}`);
    void gone.then((exit) => {
      // Exited by itself while this term lasts: release and leave with its code.
      if (!term.signal.aborted && !stop.signal.aborted) stopElector(true, exit.code);
    });
    const onTermEnd = (): void => {
      if (stop.signal.aborted) {
        void stopBy(running, cli.now() + cli.drainMs);
        return;
      }
      // Lost: until shortly before exclusiveUntil, and no longer once another holder is seen.
      graced = running;
      void running.exited.then(() => {
        if (graced === running) graced = undefined;
      });
      void stopBy(running, otherLeads() ? cli.now() : lossDeadline(cli, term));
    };
    term.signal.addEventListener('abort', onTermEnd, { once: true });
  };
  const subscriptions: Subscription[] = [
    cli.elector.leader$.subscribe((leader) => {
      printer.print('leader', { leader: leader ?? null });
      // Another replica holds the lock: a lost term's command must not run a moment longer.
      if (graced !== undefined && otherLeads(leader)) void graced.stop(0);
    }),
  ];
  let term: Term | undefined;
  subscriptions.push(
    cli.elector.leadership$.subscribe((leadership) => {
      if (leadership.leading) {
        term = leadership.term;
        printer.print('acquired', { epoch: term.epoch });
        void startCommand(term);
      } else if (term !== undefined) {
        // A term that ends because we are stopping is not a loss.
        if (!stop.signal.aborted) {
          const reason: unknown = term.signal.reason;
          printer.print('lost', { reason: reason instanceof Error ? reason.message : String(reason) });
        }
        term = undefined;
      }
    }),
  );

  const onShutdown = (): void => {
    stopElector(options.releaseOnCancel, 0);
  };
  if (context.shutdown.aborted) onShutdown();
  context.shutdown.addEventListener('abort', onShutdown, { once: true });

  try {
    await cli.elector.run(stop.signal);
  } catch (error) {
    reportError((error as Error).message);
    exitCode = 1;
  } finally {
    context.shutdown.removeEventListener('abort', onShutdown);
    for (const subscription of subscriptions) subscription.unsubscribe();
    // Normally gone already (drained before `run` resolved); after a failure, killed now.
    const last = command;
    if (last !== undefined && !(await diesWithin(last, cli.drainMs))) {
      reportError(
        `command ${last.describe()} (process group ${String(last.pid)}) survived SIGKILL for ${String(cli.drainMs)} ms; exiting without it`,
      );
      if (exitCode === 0) exitCode = 1;
    }
  }
  if (cli.released()) printer.print('released');
  printer.print('stopped', { code: exitCode });
  return exitCode;
}
