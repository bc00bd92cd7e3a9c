import { runSchedule } from './simulation.js';
import type { ScheduleOptions, SimulationResult } from './simulation.js';

/** Totals over many schedules. */
export interface SimulationSummary {
  readonly schedules: number;
  readonly safetyViolations: number;
  /** Schedules with an overlap no elector could avoid (see `SimulationResult.unseenDeletionOverlaps`). */
  readonly unseenDeletionOverlaps: number;
  /** Schedules where, for the same reason, only an epoch started again lower (no overlap). */
  readonly unseenDeletionEpochResets: number;
  readonly livenessFailures: number;
  readonly hung: number;
  readonly failures: readonly SimulationResult[];
  readonly maxRecoveryMs: number;
  /** The largest recovery as a share of its schedule's liveness budget (over 1: a liveness failure), and its seed. */
  readonly maxBudgetShare: {
    readonly share: number;
    readonly seed: number;
    readonly recoveryMs: number;
    readonly budgetMs: number;
  };
}

/** Runs `count` schedules from seeds `first`, `first + 1`, …, keeping the failed ones. */
export async function runSeeds(
  first: number,
  count: number,
  options: ScheduleOptions = {},
): Promise<SimulationSummary> {
  let safetyViolations = 0;
  let unseenDeletionOverlaps = 0;
  let unseenDeletionEpochResets = 0;
  let livenessFailures = 0;
  let hung = 0;
  let maxRecoveryMs = 0;
  let maxBudgetShare = { share: 0, seed: first, recoveryMs: 0, budgetMs: 0 };
  const failures: SimulationResult[] = [];
  for (let seed = first; seed < first + count; seed++) {
    const result = await runSchedule(seed, options);
    if (result.safetyViolations.length > 0) safetyViolations++;
    if (result.unseenDeletionOverlaps.some((line) => line.endsWith('overlap'))) unseenDeletionOverlaps++;
    else if (result.unseenDeletionOverlaps.length > 0) unseenDeletionEpochResets++;
    if (result.livenessFailure !== undefined) livenessFailures++;
    if (result.hung !== undefined) hung++;
    if (Number.isFinite(result.recoveryMs)) maxRecoveryMs = Math.max(maxRecoveryMs, result.recoveryMs);
    const share = result.recoveryMs / result.tightBudgetMs;
    if (Number.isFinite(share) && share > maxBudgetShare.share) {
      maxBudgetShare = { share, seed, recoveryMs: result.recoveryMs, budgetMs: result.tightBudgetMs };
    }
    if (
      result.safetyViolations.length > 0 ||
      result.livenessFailure !== undefined ||
      result.hung !== undefined
    ) {
      failures.push(result);
    }
  }
  return {
    schedules: count,
    safetyViolations,
    unseenDeletionOverlaps,
    unseenDeletionEpochResets,
    livenessFailures,
    hung,
    failures,
    maxRecoveryMs,
    maxBudgetShare,
  };
}

/** A failed schedule, with the seed to reproduce it: `runSchedule(seed)`. */
export function describeFailure(result: SimulationResult): string {
  return [
    `seed ${result.seed} (reproduce: runSchedule(${result.seed}))`,
    ...result.safetyViolations.map((v) => `  SAFETY: ${v}`),
    ...(result.livenessFailure === undefined ? [] : [`  LIVENESS: ${result.livenessFailure}`]),
    ...(result.hung === undefined ? [] : [`  HUNG: ${result.hung}`]),
    ...result.events.slice(0, 60).map((e) => `    ${e}`),
  ].join('\n');
}
