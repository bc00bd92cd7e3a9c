// Deterministic simulation at scale: ≥ 10,000 seeded schedules of N candidates running the real
// LeaseElector against a simulated lock under faults (see test/sim/simulation.ts), reporting
// safety violations, liveness failures and the number of schedules in the bench protocol.
// `SIM_SCHEDULES` and `SIM_FIRST_SEED` override the defaults (10,000 from seed 1).
import { describeFailure, runSeeds } from '../test/sim/run-seeds.js';
import { reportFigure } from '@kubekit/envtest/bench';

const schedules = Number(process.env['SIM_SCHEDULES'] ?? 10_000);
const first = Number(process.env['SIM_FIRST_SEED'] ?? 1);
const started = performance.now();
const summary = await runSeeds(first, schedules);
const seconds = (performance.now() - started) / 1000;
for (const failure of summary.failures.slice(0, 5)) console.log(describeFailure(failure));
console.log(
  `${summary.schedules} schedules from seed ${first} in ${seconds.toFixed(1)} s; ` +
    `hung runs: ${summary.hung}; slowest recovery after faults: ${summary.maxRecoveryMs.toFixed(0)} ms`,
);
const worst = summary.maxBudgetShare;
console.log(
  `closest to its liveness budget: seed ${worst.seed}, leader ${worst.recoveryMs.toFixed(0)} ms after the faults ` +
    `of a ${worst.budgetMs.toFixed(0)} ms budget (${(worst.share * 100).toFixed(1)}%)`,
);
const figure = (name: string, value: number, unit: string, goal: string | null): void => {
  reportFigure({ name: `leaderelection/simulation/${name}`, value, unit, goal, baseline: null });
};
figure('safety-violations', summary.safetyViolations, 'count', '== 0');
figure('liveness-failures', summary.livenessFailures + summary.hung, 'count', '== 0');
// How tight the budget is: the slowest takeover as a share of its schedule's budget (test/sim/liveness-budget.ts).
figure('worst-recovery-share-of-budget', worst.share, 'ratio', '<= 1');
// Information, no goal: overlaps after an outsider deleted the lock before the later leader had
// ever seen it (no elector can know of a claim it never saw; see the README, "Deleting the lock").
figure('unseen-deletion-overlaps', summary.unseenDeletionOverlaps, 'count', null);
figure('unseen-deletion-epoch-resets', summary.unseenDeletionEpochResets, 'count', null);
figure('schedules', summary.schedules, 'count', '>= 10000');
