import type { Subscription } from 'rxjs';
import type { Elector, Term } from '../election/elector.js';
import type { ElectCliOptions } from './elect-cli-options.js';
import { EventPrinter, type LineSink } from './event-printer.js';
import { LeaderCommand, type CommandExit } from './leader-command.js';

/** An elector as the CLI drives it: the common contract plus what stopping and killing need. */
export interface CliElector {
  readonly elector: Elector;
  /** Decides, before `run`'s signal aborts, whether the lock is released on stopping. */
  setReleaseOnStop(release: boolean): void;
  /** After `run` has resolved: whether the lock was released while stopping. */
  released(): boolean;
  /**
   * How long leader-gated work may still run after `term` was lost, in ms from now: the grace
   * must end before the lock can be acquired by any follower.
   */
  lossGraceMs(term: Term): number;
  /** How long a voluntary stop may wait for the command while the lock is still held, in ms. */
  readonly drainMs: number;
}

/** What {@link runElectCli} needs from its surroundings; the bin passes the process's own. */
export interface ElectCliContext {
  readonly stdout: LineSink;
  readonly stderr: LineSink;
  /** Aborts on SIGTERM/SIGINT. */
  readonly shutdown: AbortSignal;
  /** Builds the elector for the options; errors become the `error` event and exit code 1. */
  createElector(options: ElectCliOptions, onError: (message: string) => void): Promise<CliElector>;
}

/**
 * Runs `kubekit-elect` until it is told to stop or its command exits by itself; resolves with the
 * process exit code: the command's own when it exited by itself, 0 after SIGTERM/SIGINT, 1 when
 * the elector could not be built or failed for good.
 */
export async function runElectCli(options: ElectCliOptions, context: ElectCliContext): Promise<number> {
  let identity = options.identity ?? '';
  let printer = new EventPrinter(context.stdout, identity, options.json);
  const reportError = (message: string): void => {
    printer.print('error', { message });
  };

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
  let command: LeaderCommand | undefined;
  let stopping: Promise<unknown> = Promise.resolve();

  const stopElector = (release: boolean, code: number): void => {
    if (stop.signal.aborted) return;
    exitCode = code;
    cli.setReleaseOnStop(release);
    stop.abort();
  };

  const startCommand = (term: Term): void => {
    if (options.command.length === 0 || stop.signal.aborted) return;
    const running = new LeaderCommand(options.command);
    command = running;
    // The elector holds the lock until tracked work has settled, so the command's exit is awaited
    // on a voluntary stop before any release.
    void term.track(running.exited);
    void running.exited.then((exit: CommandExit) => {
      if (command === running) command = undefined;
      // Exited by itself while this term lasts: release and leave with its code.
      if (!term.signal.aborted && !stop.signal.aborted) stopElector(true, exit.code);
    });
    term.signal.addEventListener(
      'abort',
      () => {
        const grace = stop.signal.aborted ? cli.drainMs : cli.lossGraceMs(term);
        stopping = running.stop(grace);
      },
      { once: true },
    );
  };

  const subscriptions: Subscription[] = [
    cli.elector.leader$.subscribe((leader) => {
      printer.print('leader', { leader: leader ?? null });
    }),
  ];
  let term: Term | undefined;
  subscriptions.push(
    cli.elector.leadership$.subscribe((leadership) => {
      if (leadership.leading) {
        term = leadership.term;
        printer.print('acquired', { epoch: term.epoch });
        startCommand(term);
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
    await command?.stop(0);
    await stopping;
  }
  if (cli.released()) printer.print('released');
  printer.print('stopped', { code: exitCode });
  return exitCode;
}
