export type { CacheRunnable } from './cache-runnable.js';
export { isCacheRunnable } from './cache-runnable.js';
export { isElector } from './election/create-elector.js';
export type { HealthCheck } from './http/health-checks.js';
export type { ManagerErrorKind, ManagerErrorOptions } from './manager-error.js';
export { ManagerError } from './manager-error.js';
export type {
  LeaderForLifeElectionOptions,
  LeadershipLostPolicy,
  LeaseElectionOptions,
  ManagerOptions,
} from './manager-options.js';
export type { BoundPorts } from './http/manager-servers.js';
export type { AddOptions, ManagerState } from './manager.js';
export { createManager, Manager } from './manager.js';
export type { ManagerTransition } from './observability/manager-metrics.js';
export type {
  FactoryOptions,
  LeaderElectionRunnable,
  RestartableRunnable,
  Runnable,
  RunnableContext,
  RunnableOptions,
} from './runnable.js';
export {
  canRestart,
  fromFactory,
  isLeaderElectionRunnable,
  isRestartableRunnable,
  isRunnable,
  needsLeaderElection,
  runnable,
} from './runnable.js';
export type { SignalTarget } from './signals/setup-signal-handler.js';
export { setupSignalHandler } from './signals/setup-signal-handler.js';
export type { ManagerModuleOptions } from './di/manager-module.js';
export { KUBE_CONFIG, LOGGER, MANAGER, managerModule, REGISTRY, RUNNABLE } from './di/manager-module.js';
export { lossMargin } from './term-runner.js';
