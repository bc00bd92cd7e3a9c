export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
export type { Elector, Leadership, Term } from './election/elector.js';
export type { LeaderElectionErrorKind } from './leader-election-error.js';
export { LeaderElectionError } from './leader-election-error.js';
