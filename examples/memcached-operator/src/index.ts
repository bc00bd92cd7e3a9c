export type { Memcached } from './memcached.js';
export {
  defaultSize,
  maxSize,
  memcachedApiVersion,
  memcachedFinalizer,
  memcachedGroup,
  memcachedImage,
  memcachedKind,
  memcachedVersion,
  minSize,
} from './memcached.js';
export type { MemcachedReconcilerOptions } from './memcached-reconciler.js';
export { availableCondition, desiredDeployment, MemcachedReconciler } from './memcached-reconciler.js';
export type { ReconcileObserver, ReconcileOutcome } from './reconcile-observer.js';
export { silentObserver } from './reconcile-observer.js';
export type { ReconcileRecord } from './reconcile-log.js';
export { preciseNow, ReconcileLog } from './reconcile-log.js';
export type { Operator, OperatorOptions } from './operator.js';
export {
  createOperator,
  eventRecorderName,
  MemcachedController,
  operatorModule,
  RECONCILE_OBSERVER,
  RECONCILER_OPTIONS,
} from './operator.js';
export type { OperatorErrorKind } from './operator-error.js';
export { OperatorError } from './operator-error.js';
export { deployDir, loadDeployManifests, loadManifests, memcachedCrd } from './manifests.js';
export { jsonLogger } from './json-logger.js';
