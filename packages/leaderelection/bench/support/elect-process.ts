import type { ChildProcess } from 'node:child_process';
import { spawnWithLifeline } from '@kubekit/envtest';
import { fileURLToPath } from 'node:url';

/** The compiled `kubekit-elect` entry point of this package. */
export const electCli = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));

/** One line `kubekit-elect --json` printed, stamped with when this process read it. */
export interface ElectEvent {
  readonly event: string;
  readonly at: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A `kubekit-elect --json` process whose events can be awaited. */
export class ElectProcess {
  readonly events: ElectEvent[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly label: string,
    args: readonly string[],
    env: Readonly<Record<string, string>> = {},
  ) {
    // Stops (as on SIGTERM) when the benchmark dies, even by SIGKILL.
    this.child = spawnWithLifeline(electCli, ['--json', ...args], { stderr: 'inherit', env });
    let pending = '';
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      const at = performance.now();
      pending += chunk;
      for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        const fields = JSON.parse(line) as Record<string, unknown>;
        this.events.push({ event: String(fields['event']), at, fields });
      }
      for (const wake of this.waiters) wake();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        resolve(code);
        for (const wake of this.waiters) wake();
      });
    });
  }

  /** Resolves with the first event from index `from` on that satisfies `match`. */
  async next(match: (event: ElectEvent) => boolean, from: number, timeoutMs: number): Promise<ElectEvent> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find(match);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null)
        throw new Error(`${this.label} exited (${this.child.exitCode}) before the event`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`${this.label}: no matching event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const waiters = this.waiters;
        function done(): void {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}
