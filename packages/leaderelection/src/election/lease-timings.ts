import { LeaderElectionError } from '../leader-election-error.js';

/** The three durations of lease election, in milliseconds. */
export interface LeaseTimings {
  /** How long a follower waits, after it last saw the record change, before taking over. Default 15 s. */
  readonly leaseDuration: number;
  /** How long a leader keeps leading without a successful renew before it steps down. Default 10 s. */
  readonly renewDeadline: number;
  /** Time between a leader's renews, and between a follower's polls while its watch is down. Default 2 s. */
  readonly retryPeriod: number;
}

/** client-go's and controller-runtime's defaults: 15 s / 10 s / 2 s. */
export const defaultLeaseTimings: LeaseTimings = {
  leaseDuration: 15_000,
  renewDeadline: 10_000,
  retryPeriod: 2_000,
};

/** Client-go's jitter factor for retries. */
const retryJitter = 1.2;

function seconds(ms: number): string {
  return `${ms / 1000}s`;
}

/**
 * Fills in defaults and checks leaseDuration > renewDeadline > 1.2 × retryPeriod > 0.
 * @throws LeaderElectionError kind `invalidConfig`, naming the lock and the values.
 */
export function validateLeaseTimings(lockDescription: string, timings: Partial<LeaseTimings>): LeaseTimings {
  const resolved: LeaseTimings = {
    leaseDuration: timings.leaseDuration ?? defaultLeaseTimings.leaseDuration,
    renewDeadline: timings.renewDeadline ?? defaultLeaseTimings.renewDeadline,
    retryPeriod: timings.retryPeriod ?? defaultLeaseTimings.retryPeriod,
  };
  const { leaseDuration, renewDeadline, retryPeriod } = resolved;
  const fail = (what: string): never => {
    throw new LeaderElectionError('invalidConfig', `${lockDescription}: ${what}`);
  };
  for (const [key, value] of Object.entries(resolved)) {
    if (!Number.isFinite(value) || value <= 0)
      fail(`${key} (${String(value)} ms) must be a positive number of milliseconds`);
  }
  if (leaseDuration <= renewDeadline) {
    fail(`leaseDuration (${seconds(leaseDuration)}) must exceed renewDeadline (${seconds(renewDeadline)})`);
  }
  if (renewDeadline <= retryJitter * retryPeriod) {
    fail(
      `renewDeadline (${seconds(renewDeadline)}) must exceed ${retryJitter} × retryPeriod (${seconds(retryJitter * retryPeriod)})`,
    );
  }
  return resolved;
}

/** client-go's `wait.Jitter(period, 1.2)`: a duration in [period, 2.2 × period). */
export function jittered(period: number, random: () => number): number {
  return period + random() * retryJitter * period;
}
