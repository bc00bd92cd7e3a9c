export type { Clock, ClockTimer } from './clock.js';
export { systemClock } from './clock.js';
export type { Elector, Leadership, Term } from './election/elector.js';
export type { LeaderElectionErrorKind } from './leader-election-error.js';
export { LeaderElectionError } from './leader-election-error.js';
export type { LeaderForLifeOptions } from './lifelong/leader-for-life-options.js';
export { createLeaderForLifeElector, LeaderForLifeElector } from './lifelong/leader-for-life-elector.js';
export { EPOCH_ANNOTATION } from './lifelong/lock-epoch.js';
export type {
  LifelongApi,
  LockEvent,
  LockInfo,
  NodeInfo,
  PodInfo,
  PodOwner,
} from './lifelong/lifelong-api.js';
export type { LeaderElectionErrorOptions } from './leader-election-error.js';
export type { Logger } from './logger.js';
export { quietLogger } from './logger.js';
export type { LeaderElectionRecord } from './locks/leader-election-record.js';
export {
  hasValidHolder,
  parseLeaderElectionAnnotation,
  parseLeaderElectionRecord,
} from './locks/leader-election-record.js';
export type { Lock, LockSnapshot, LockWatchEvent, LockWatchHandlers } from './locks/lock.js';
export type { KubeLockOptions, LockObject, LockObjectKind } from './locks/kube-object-lock.js';
export { KubeObjectLock } from './locks/kube-object-lock.js';
export { LeaseLock } from './locks/lease-lock.js';
export { ConfigMapLock, leaderAnnotation } from './locks/config-map-lock.js';
export type { ElectionEvent, EventRecorder } from './observability/event-recorder.js';
export type { InvolvedObject } from './observability/kubernetes-event-recorder.js';
export { KubernetesEventRecorder } from './observability/kubernetes-event-recorder.js';
export { defaultIdentity } from './defaults/default-identity.js';
export {
  readPodNamespace,
  resolveNamespace,
  serviceAccountNamespaceFile,
} from './defaults/default-namespace.js';
export type { LeaseTimings } from './election/lease-timings.js';
export { defaultLeaseTimings, validateLeaseTimings } from './election/lease-timings.js';
export type { LeaseElectorOptions } from './election/lease-elector-options.js';
export type { LeaseElectorState } from './election/lease-elector.js';
export { LeaseElector } from './election/lease-elector.js';
export type { CreateLeaseElectorOptions } from './election/create-lease-elector.js';
export { createLeaseElector } from './election/create-lease-elector.js';
