export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
export type { LeaderElectionErrorKind } from './leader-election-error.js';
export { LeaderElectionError } from './leader-election-error.js';
