import type { ChildProcess } from 'node:child_process';
import { spawnWithLifeline } from '@kubekit/envtest';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const mainScript = fileURLToPath(
  new URL('../src/main.js', import.meta.url).href.replace('/dist-test/', '/dist/'),
);

/** The example's main.js as an OS process in "Pod" `podName`, and the JSON lines it prints. */
export class StamperProcess {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[] = [];
  readonly exited: Promise<number | string>;
  stderr = '';

  constructor(
    readonly podName: string,
    args: readonly string[],
    env: Readonly<Record<string, string>>,
  ) {
    // With the lifeline, so that a test run killed with SIGKILL leaves no stamper running.
    this.child = spawnWithLifeline(mainScript, ['--health-probe-bind-address=off', ...args], {
      env: { ...env, POD_NAME: podName },
    });
    if (this.child.stdout !== null) {
      createInterface({ input: this.child.stdout }).on('line', (line) => {
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          return; // not a JSON line
        }
      });
    }
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        resolve(code ?? signal ?? 'unknown');
      });
    });
  }

  /** Whether it has said it leads. */
  get leading(): boolean {
    return this.lines.some((line) => line['event'] === 'leading');
  }

  describe(): string {
    return `${this.podName}: ${JSON.stringify(this.lines)}\n${this.stderr}`;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}
