export type {
  ClusterControl,
  ConnectionStats,
  Envtest,
  EnvtestOptions,
  EnvtestUser,
  Fault,
  FaultInjector,
  FaultRule,
  RequestCounters,
  RequestMatch,
  Verb,
} from './envtest.js';
export type { EnvtestErrorKind } from './envtest-error.js';
export { EnvtestError } from './envtest-error.js';
export { startEnvtest } from './start-envtest.js';
export type { ExitWithParentOptions, ParentWatchOptions } from './process/exit-with-parent.js';
export {
  exitWithParent,
  isParentPipe,
  PARENT_PID_VARIABLE,
  parentPidEnv,
  whenParentGone,
} from './process/exit-with-parent.js';
export type {
  LifelineChild,
  LifelineOutput,
  SpawnWithLifelineOptions,
} from './process/spawn-with-lifeline.js';
export { spawnWithLifeline } from './process/spawn-with-lifeline.js';
