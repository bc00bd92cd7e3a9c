import type { Overlap } from './reconcile-records.js';

/** The shortened timings the demo runs the replicas with (ms). */
export interface DemoTimings {
  readonly leaseDuration: number;
  readonly renewDeadline: number;
  readonly retryPeriod: number;
  readonly resyncMs: number;
}

/** A fault the demo caused, or a step it took. */
export interface DemoStep {
  readonly at: number;
  readonly kind: 'start' | 'create' | 'sigterm' | 'sigkill' | 'partition' | 'heal' | 'restart' | 'stop';
  readonly replica?: string;
  readonly note: string;
}

/** A change of the Lease holder, as the demo's own watch of the Lease saw it. */
export interface Transition {
  readonly at: number;
  readonly from: string;
  readonly to: string;
  /** What caused it: the first acquisition, a graceful handover, a takeover after a crash or a partition. */
  readonly cause: 'initial' | 'handover' | 'takeover-after-crash' | 'takeover-after-partition' | 'other';
  /** handover: release seen → new holder seen; takeovers: old holder's last renew seen → new holder seen (ms). */
  readonly latencyMs?: number;
  /** takeovers: the fault (SIGKILL, partition) → new holder seen (ms). */
  readonly sinceFaultMs?: number;
}

/** A span of time in which a replica said it led. */
export interface LeadershipSpan {
  readonly replica: string;
  readonly start: number;
  readonly end: number;
  readonly epoch: number;
  /** How it ended: stepped down (following), the process exited, or the demo ended. */
  readonly ended: 'following' | 'exited' | 'killed' | 'demo-end';
}

/** One replica process, from spawn to exit. */
export interface ProcessLife {
  readonly replica: string;
  readonly pid: number | undefined;
  readonly start: number;
  readonly end: number;
  /** `SIGKILL`, `code 0`, …; `running` if it outlived the demo (it never should). */
  readonly exit: string;
}

/** Everything the demo measured; `demo-report/report.json`. Times are epoch ms; `t` fields are ms since `startedAt`. */
export interface DemoReport {
  readonly startedAt: number;
  /** `startedAt` as an ISO 8601 date, for humans. */
  readonly startedAtIso: string;
  readonly finishedAt: number;
  readonly mode: 'envtest' | 'cluster';
  readonly timings: DemoTimings;
  readonly replicas: readonly string[];
  readonly steps: readonly DemoStep[];
  readonly transitions: readonly Transition[];
  readonly leadership: readonly LeadershipSpan[];
  readonly processes: readonly ProcessLife[];
  readonly reconciles: {
    readonly total: number;
    readonly byReplica: Readonly<Record<string, number>>;
    readonly byOutcome: Readonly<Record<string, number>>;
    readonly cutByDeath: number;
    /** Shortest gap between one replica's reconcile ending and another's starting (ms). */
    readonly closestHandoffMs: number | undefined;
  };
  readonly overlaps: readonly Overlap[];
  /** partition: the isolated leader's step-down (its claim) → the next acquisition (ms); must be > 0. */
  readonly partitionStepDownMarginMs: number | undefined;
  readonly acceptance: Acceptance;
}

/** The acceptance checks; `passed` when all hold. */
export interface Acceptance {
  readonly passed: boolean;
  readonly checks: readonly { readonly name: string; readonly passed: boolean; readonly detail: string }[];
}

/** Checks the acceptance: ≥ 3 transitions, 0 overlaps, handover ≤ 100 ms, takeover ≤ expiry + 100 ms. */
export function evaluate(
  report: Pick<
    DemoReport,
    'transitions' | 'overlaps' | 'timings' | 'partitionStepDownMarginMs' | 'mode' | 'reconciles'
  >,
): Acceptance {
  const changes = report.transitions.filter((t) => t.cause !== 'initial');
  const handovers = changes.filter((t) => t.cause === 'handover');
  const takeovers = changes.filter((t) => t.cause === 'takeover-after-crash');
  const bound = report.timings.leaseDuration + 100;
  const fmt = (values: readonly (number | undefined)[]): string =>
    values.map((v) => (v === undefined ? '?' : `${v.toFixed(1)} ms`)).join(', ');
  const checks = [
    {
      name: 'at least 3 transitions',
      passed: changes.length >= 3,
      detail: `${String(changes.length)} transitions`,
    },
    {
      name: 'reconciles recorded',
      passed: report.reconciles.total > 0,
      detail: `${String(report.reconciles.total)} reconciles`,
    },
    {
      name: '0 overlapping reconciles',
      passed: report.overlaps.length === 0,
      detail: `${String(report.overlaps.length)} overlaps`,
    },
    {
      name: 'handover ≤ 100 ms',
      passed: handovers.length > 0 && handovers.every((t) => (t.latencyMs ?? Infinity) <= 100),
      detail: handovers.length === 0 ? 'no handover seen' : fmt(handovers.map((t) => t.latencyMs)),
    },
    {
      name: `takeover after a crash ≤ expiry + 100 ms (${String(bound)} ms)`,
      passed: takeovers.length > 0 && takeovers.every((t) => (t.latencyMs ?? Infinity) <= bound),
      detail: takeovers.length === 0 ? 'no takeover seen' : fmt(takeovers.map((t) => t.latencyMs)),
    },
  ];
  if (report.mode === 'envtest') {
    const margin = report.partitionStepDownMarginMs;
    checks.push({
      name: 'partitioned leader stepped down before anyone else acquired',
      passed: margin !== undefined && margin > 0,
      detail: margin === undefined ? 'not measured' : `${margin.toFixed(1)} ms before`,
    });
  }
  return { passed: checks.every((c) => c.passed), checks };
}
