import { spawnWithLifeline, type LifelineChild } from '@kubekit/envtest';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { preciseNow } from '../reconcile-log.js';

/** What a replica process said or did, with the time (epoch ms) it happened. */
export type ReplicaEvent =
  | { readonly type: 'started'; readonly at: number }
  | { readonly type: 'leading'; readonly at: number; readonly epoch: number }
  | { readonly type: 'following'; readonly at: number }
  | {
      readonly type: 'exited';
      readonly at: number;
      readonly code: number | null;
      readonly signal: string | null;
    }
  | { readonly type: 'log'; readonly at: number; readonly level: string; readonly msg: string };

/** How to start one replica of the operator. */
export interface ReplicaSpec {
  readonly name: string;
  readonly kubeconfig: string;
  /** kubeconfig context (envtest: one per replica, so faults can target it). */
  readonly context?: string;
  readonly namespace: string;
  readonly leaseDuration: number;
  readonly renewDeadline: number;
  readonly retryPeriod: number;
  readonly resyncMs: number;
  readonly reconcileLog: string;
}

const mainScript = fileURLToPath(new URL('../main.js', import.meta.url));

/**
 * One operator replica as an OS process (`node dist/src/main.js`), with its stdout (JSON lines)
 * turned into {@link ReplicaEvent}s. `leading` and `following` are the replica's own claims,
 * timed by the replica; `exited` is timed by this process. The replica holds a pipe from this
 * process on stdin (`spawnWithLifeline` of `@kubekit/envtest`): when this process dies, however it dies,
 * the replica stops gracefully as on SIGTERM, and exits within a few seconds in any case.
 */
export class ReplicaProcess {
  readonly events: ReplicaEvent[] = [];
  readonly spawnedAt = preciseNow();
  readonly exited: Promise<ReplicaEvent & { type: 'exited' }>;
  private readonly child: LifelineChild;

  constructor(
    readonly spec: ReplicaSpec,
    onEvent: (replica: ReplicaProcess, event: ReplicaEvent) => void,
  ) {
    const args = [
      `--kubeconfig=${spec.kubeconfig}`,
      ...(spec.context === undefined ? [] : [`--context=${spec.context}`]),
      `--identity=${spec.name}`,
      `--namespace=${spec.namespace}`,
      `--lease-duration=${String(spec.leaseDuration)}`,
      `--renew-deadline=${String(spec.renewDeadline)}`,
      `--retry-period=${String(spec.retryPeriod)}`,
      '--health-probe-bind-address=127.0.0.1:0',
      '--metrics-bind-address=127.0.0.1:0',
      '--on-leadership-lost=recampaign',
      `--resync=${String(spec.resyncMs)}`,
      `--reconcile-log=${spec.reconcileLog}`,
    ];
    this.child = spawnWithLifeline(mainScript, args);
    const record = (event: ReplicaEvent): void => {
      this.events.push(event);
      onEvent(this, event);
    };
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const event = parseLine(line);
      if (event !== undefined) record(event);
    });
    createInterface({ input: this.child.stderr }).on('line', (line) => {
      record({ type: 'log', at: preciseNow(), level: 'stderr', msg: line });
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        const event = { type: 'exited', at: preciseNow(), code, signal } as const;
        record(event);
        resolve(event);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends SIGTERM (a graceful stop: drain, release) or SIGKILL (a crash). */
  signal(signal: 'SIGTERM' | 'SIGKILL'): number {
    const at = preciseNow();
    this.child.kill(signal);
    return at;
  }
}

function parseLine(line: string): ReplicaEvent | undefined {
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { type: 'log', at: preciseNow(), level: 'stdout', msg: line };
  }
  const at = typeof fields['at'] === 'number' ? fields['at'] : preciseNow();
  switch (fields['event']) {
    case 'started':
      return { type: 'started', at };
    case 'leading':
      return { type: 'leading', at, epoch: Number(fields['epoch']) };
    case 'following':
      return { type: 'following', at };
    default:
      return { type: 'log', at, level: String(fields['level']), msg: String(fields['msg']) };
  }
}
