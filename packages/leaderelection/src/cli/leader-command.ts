import { spawn, type ChildProcess } from 'node:child_process';

/** How a command run by {@link LeaderCommand} ended. */
export interface CommandExit {
  /** The exit code; for a command ended by a signal, 128 + the signal's number, as shells report. */
  readonly code: number;
  /** The signal that ended it, if one did. */
  readonly signal: NodeJS.Signals | null;
}

const signalNumbers: Readonly<Partial<Record<NodeJS.Signals, number>>> = {
  SIGTERM: 15,
  SIGKILL: 9,
  SIGINT: 2,
};

/**
 * A program run in its own process group while this process leads. `stop` sends SIGTERM to the
 * whole group and SIGKILL when it has not exited by the deadline.
 */
export class LeaderCommand {
  readonly exited: Promise<CommandExit>;
  private readonly child: ChildProcess;
  private done = false;

  /** Starts `command[0]` with the rest as arguments; stdio is inherited. */
  constructor(command: readonly string[]) {
    const [file = '', ...args] = command;
    this.child = spawn(file, args, { stdio: 'inherit', detached: true });
    this.exited = new Promise<CommandExit>((resolve) => {
      this.child.once('error', () => {
        this.done = true;
        resolve({ code: 127, signal: null });
      });
      this.child.once('exit', (code, signal) => {
        this.done = true;
        resolve({ code: code ?? 128 + (signal === null ? 0 : (signalNumbers[signal] ?? 0)), signal });
      });
    });
  }

  /** The process ID of the command (also its process group ID), once started. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Sends SIGTERM to the command's process group, then SIGKILL after `graceMs` if it is still
   * running. Resolves with how it ended. Safe to call more than once and after it has exited.
   */
  async stop(graceMs: number): Promise<CommandExit> {
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

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (this.done || pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is gone already: nothing left to stop.
    }
  }
}
