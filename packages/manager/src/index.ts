export type { ManagerErrorKind } from './manager-error.js';
export { ManagerError } from './manager-error.js';
export type { LeaderElectionRunnable, Runnable, RunnableOptions } from './runnable.js';
export { isLeaderElectionRunnable, needsLeaderElection, runnable } from './runnable.js';
