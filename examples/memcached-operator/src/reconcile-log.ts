import { appendFileSync } from 'node:fs';
import type { Term } from '@kubekit/leaderelection';
import type { Request } from '@kubekit/reconcile';
import type { ReconcileObserver, ReconcileOutcome } from './reconcile-observer.js';

/** One line of a reconcile log: a reconcile beginning or ending, by whom, when (epoch ms, fractional). */
export type ReconcileRecord =
  | {
      readonly replica: string;
      readonly phase: 'begin';
      readonly key: string;
      readonly at: number;
      readonly epoch?: number;
    }
  | {
      readonly replica: string;
      readonly phase: 'end';
      readonly key: string;
      readonly at: number;
      readonly outcome: ReconcileOutcome;
    };

/** Wall-clock milliseconds with sub-millisecond resolution (monotonic within the process). */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Appends a JSON line to `path` as each reconcile begins and ends (synchronously, with
 * `O_APPEND`, so lines of several processes sharing the file do not interleave). The demo reads
 * these records, not the replicas' claims of leadership, to prove that no two replicas reconciled
 * at the same time.
 */
export class ReconcileLog implements ReconcileObserver {
  constructor(
    private readonly path: string,
    private readonly replica: string,
  ) {}

  begin(request: Request, term: Term | undefined): void {
    this.append({
      replica: this.replica,
      phase: 'begin',
      key: `${request.namespace}/${request.name}`,
      at: preciseNow(),
      ...(term === undefined ? {} : { epoch: term.epoch }),
    });
  }

  end(request: Request, outcome: ReconcileOutcome): void {
    this.append({
      replica: this.replica,
      phase: 'end',
      key: `${request.namespace}/${request.name}`,
      at: preciseNow(),
      outcome,
    });
  }

  private append(record: ReconcileRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`, { flag: 'a' });
  }
}
