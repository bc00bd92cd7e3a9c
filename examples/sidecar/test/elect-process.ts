import type { ChildProcess } from 'node:child_process';
import { spawnWithLifeline } from '@kubekit/envtest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

/** The `kubekit-elect` script of the installed @kubekit/leaderelection (its package.json `bin`). */
export function kubekitElectPath(): string {
  const manifest = createRequire(import.meta.url).resolve('@kubekit/leaderelection/package.json');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> };
  const script = bin['kubekit-elect'];
  if (script === undefined) throw new Error(`${manifest} has no kubekit-elect bin`);
  return join(dirname(manifest), script);
}

/** One `--json` event line of kubekit-elect, with the time this process read it (epoch ms). */
export interface ElectEvent {
  readonly event: string;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly at: number;
}

/** A `kubekit-elect` OS process, its JSON events as they arrive, and its exit. */
export class ElectProcess {
  readonly child: ChildProcess;
  readonly events: ElectEvent[] = [];
  readonly exited: Promise<number | NodeJS.Signals>;
  private readonly waiters = new Set<() => void>();

  constructor(args: readonly string[], env: Readonly<Record<string, string>>) {
    // With the lifeline: it stops (as on SIGTERM, so its script stops too) when the test process
    // dies, even by SIGKILL.
    this.child = spawnWithLifeline(kubekitElectPath(), ['--json', ...args], { env });
    const stdout = this.child.stdout;
    if (stdout === null) throw new Error('kubekit-elect has no stdout');
    createInterface({ input: stdout }).on('line', (line) => {
      try {
        const fields = JSON.parse(line) as Record<string, unknown>;
        this.events.push({ event: String(fields['event']), fields, at: Date.now() });
      } catch {
        return; // not an event line
      }
      for (const wake of this.waiters) wake();
    });
    this.child.stderr?.resume();
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        resolve(code ?? signal ?? 'SIGKILL');
        for (const wake of this.waiters) wake();
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The first event matching `match`, once it has arrived (rejects after `timeoutMs`). */
  async next(match: (event: ElectEvent) => boolean, timeoutMs = 30_000): Promise<ElectEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`kubekit-elect exited before the event: ${JSON.stringify(this.events)}`);
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no such event within ${String(timeoutMs)} ms: ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      }).finally(() => {
        this.waiters.clear();
      });
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}
