export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
export type { Elector, Leadership, Term } from './election/elector.js';
export type { LeaderElectionErrorKind } from './leader-election-error.js';
export { LeaderElectionError } from './leader-election-error.js';
export type { LeaderForLifeOptions } from './lifelong/leader-for-life-options.js';
export { SERVICE_ACCOUNT_NAMESPACE_FILE } from './lifelong/leader-for-life-options.js';
export {
  createLeaderForLifeElector,
  EPOCH_ANNOTATION,
  LeaderForLifeElector,
} from './lifelong/leader-for-life-elector.js';
export type {
  LifelongApi,
  LockEvent,
  LockInfo,
  NodeInfo,
  PodInfo,
  PodOwner,
} from './lifelong/lifelong-api.js';
export { KubernetesLifelongApi } from './lifelong/kubernetes-lifelong-api.js';
