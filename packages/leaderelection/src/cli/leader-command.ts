import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { CommandSupervision } from './command-supervision.js';
import { processGroupGone } from './process-group.js';

/** How a command run by {@link LeaderCommand} ended. */
export interface CommandExit {
  /** The exit code; for a command ended by a signal, 128 + the signal's number, as shells report. */
  readonly code: number;
  /** The signal that ended it, if one did. */
  readonly signal: NodeJS.Signals | null;
}

/** Options of {@link LeaderCommand}. */
export interface LeaderCommandOptions {
  /** How the command is made to die with this process; default none (tests). */
  readonly supervision?: CommandSupervision;
  /** Told when the guard of a guarded command fails, so that the command had to be killed. */
  readonly onError?: (message: string) => void;
}

const signalNumbers: Readonly<Partial<Record<NodeJS.Signals, number>>> = {
  SIGTERM: 15,
  SIGKILL: 9,
  SIGINT: 2,
};

/**
 * Runs in the command's process (under `setpriv --pdeathsig KILL`, in a new session): waits on fd 3
 * until the watchdog is armed, then becomes the command. End of file instead of `go` means
 * kubekit-elect is gone or gave up: the command never starts.
 */
const gateScript = 'IFS= read -r go <&3 && [ "$go" = go ] || exit 125; exec 3<&-; exec "$@"';

/**
 * The watchdog (under `setpriv --pdeathsig TERM`, in a session of its own so that no signal for
 * the command's group or the terminal reaches it). `$1` is the command's process group. It reads
 * its stdin, a pipe only kubekit-elect writes to (and never does): the read ends when
 * kubekit-elect's end closes, that is when kubekit-elect dies by any means, or the parent-death
 * signal interrupts it first. Either way the group is killed.
 */
const watchdogScript = [
  'trap \'kill -KILL -"$1" 2>/dev/null; exit 0\' TERM',
  'echo armed',
  'read -r _ || :',
  'kill -KILL -"$1" 2>/dev/null',
].join('\n');

/**
 * A program run in its own process group while this process leads. `stop` sends SIGTERM to the
 * whole group and SIGKILL when it has not exited by the deadline; `exited` resolves only once no
 * process of the group runs any more (what the command leaves behind when it exits is killed).
 *
 * Guarded (see {@link CommandSupervision}): the command starts only after a watchdog is armed
 * that kills its whole process group within milliseconds of this process dying, however it dies
 * (SIGKILL, the OOM killer); the command's own process also has the kernel's parent-death signal.
 * Processes that leave the group (`setsid`, a shell with job control) are beyond its reach. Node
 * spawns from the main thread, whose end is the process's: the parent-death signal (sent when the
 * forking thread ends) cannot fire early.
 */
export class LeaderCommand {
  readonly exited: Promise<CommandExit>;
  private readonly child: ChildProcess;
  private watchdog: ChildProcess | undefined;
  /** Until the gate opens: where `go` is written. */
  private gate: Writable | undefined;
  private stopping = false;
  /** The command's own process has exited. */
  private mainExited = false;
  /** No process of the group runs any more: signals to it could reach a stranger. */
  private groupGone = false;

  /** Starts `command[0]` with the rest as arguments; stdio is inherited. */
  constructor(
    readonly command: readonly string[],
    private readonly options: LeaderCommandOptions = {},
  ) {
    const [file = '', ...args] = command;
    const supervision = options.supervision ?? { kind: 'none', why: 'not asked for' };
    if (supervision.kind === 'guarded') {
      this.child = spawn(
        supervision.setpriv,
        [
          '--pdeathsig',
          'KILL',
          '--',
          supervision.shell,
          '-c',
          gateScript,
          'kubekit-elect-command',
          file,
          ...args,
        ],
        { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], detached: true },
      );
      this.gate = this.child.stdio[3] as Writable | undefined;
      this.gate?.on('error', () => undefined);
      if (this.child.pid !== undefined) this.arm(supervision, this.child.pid);
    } else {
      this.child = spawn(file, args, { stdio: 'inherit', detached: true });
    }
    this.exited = new Promise<CommandExit>((resolve) => {
      let ended = false;
      const end = (exit: CommandExit): void => {
        if (ended) return;
        ended = true;
        this.mainExited = true;
        this.closeGate();
        void this.buryGroup().then(() => {
          resolve(exit);
        });
      };
      this.child.once('error', () => {
        end({ code: 127, signal: null });
      });
      this.child.once('exit', (code, signal) => {
        end({ code: code ?? 128 + (signal === null ? 0 : (signalNumbers[signal] ?? 0)), signal });
      });
    });
  }

  /** The process ID of the command (also its process group ID), once started. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The command line, for messages. */
  describe(): string {
    return this.command
      .map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : JSON.stringify(word)))
      .join(' ');
  }

  /**
   * Sends SIGTERM to the command's process group, then SIGKILL after `graceMs` if it is still
   * running. Resolves with how it ended, once no process of its group runs any more. Safe to call
   * more than once and after it has exited.
   */
  async stop(graceMs: number): Promise<CommandExit> {
    this.stopping = true;
    this.closeGate();
    this.signalGroup('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(
        () => {
          this.signalGroup('SIGKILL');
          resolve();
        },
        Math.max(0, graceMs),
      );
    });
    try {
      await Promise.race([this.exited, killed]);
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts the watchdog for group `pgid`; opens the gate once it is armed. */
  private arm(supervision: Extract<CommandSupervision, { kind: 'guarded' }>, pgid: number): void {
    const watchdog = spawn(
      supervision.setpriv,
      [
        '--pdeathsig',
        'TERM',
        '--',
        supervision.shell,
        '-c',
        watchdogScript,
        'kubekit-elect-watchdog',
        String(pgid),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'], detached: true },
    );
    this.watchdog = watchdog;
    // Its stdin is the lifeline: never written, closed only by this process's end.
    watchdog.stdin.on('error', () => undefined);
    const out = watchdog.stdout as Readable | null;
    let said = '';
    let armed = false;
    out?.setEncoding('utf8');
    out?.on('data', (chunk: string) => {
      said += chunk;
      if (armed || !said.includes('armed\n')) return;
      armed = true;
      if (this.stopping || this.mainExited) {
        this.closeGate();
        return;
      }
      this.gate?.end('go\n');
      this.gate = undefined;
    });
    const failed = (why: string): void => {
      if (this.mainExited) return;
      if (armed)
        this.options.onError?.(`the watchdog of command ${this.describe()} ${why}; killing the command`);
      // A command that is not guarded must not run: before the gate opened it never started.
      this.closeGate();
      this.signalGroup('SIGKILL');
    };
    watchdog.once('error', (error) => {
      failed(`could not start (${error.message})`);
    });
    watchdog.once('exit', (code, signal) => {
      failed(`exited (${signal ?? String(code)})`);
    });
  }

  private closeGate(): void {
    this.gate?.end();
    this.gate = undefined;
  }

  /** Kills what the command left in its group, waits until none of it runs, then ends the watchdog. */
  private async buryGroup(): Promise<void> {
    const pgid = this.child.pid;
    if (pgid !== undefined) {
      this.signalGroup('SIGKILL');
      await processGroupGone(pgid);
    }
    this.groupGone = true;
    const watchdog = this.watchdog;
    if (watchdog?.exitCode === null && watchdog.signalCode === null) watchdog.kill('SIGKILL');
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (this.groupGone || pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is gone already: nothing left to stop.
    }
  }
}
