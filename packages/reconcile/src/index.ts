export type { ReconcileContext, ReconcileFunc, Reconciler, Request, Result } from './reconciler.js';
export { reconcilerFunc, requestKey } from './reconciler.js';
export { TerminalError } from './terminal-error.js';
export type { ReconcileErrorKind } from './reconcile-error.js';
export { ReconcileError } from './reconcile-error.js';

export type { AddOptions, WorkQueue, WorkQueueOptions } from './queue/work-queue.js';
export { LOW_PRIORITY } from './queue/work-queue.js';
export { createWorkQueue } from './queue/default-work-queue.js';
export type { RateLimiter } from './queue/rate-limiter.js';
export type { ExponentialRateLimiterOptions } from './queue/exponential-rate-limiter.js';
export { ExponentialRateLimiter } from './queue/exponential-rate-limiter.js';
export type { BucketRateLimiterOptions } from './queue/bucket-rate-limiter.js';
export { BucketRateLimiter } from './queue/bucket-rate-limiter.js';
export { MaxOfRateLimiter, defaultControllerRateLimiter } from './queue/max-of-rate-limiter.js';

export type { Informer, InformerEvent, InformerOptions, InformerScope } from './cache/informer.js';
export { createInformer } from './cache/shared-informer.js';
export type { Cache, CacheInformerOptions, CacheListOptions, CacheOptions } from './cache/cache.js';
export { createCache } from './cache/informer-cache.js';
export type { BackoffOptions } from './cache/backoff.js';
export type { IndexFunction } from './cache/store.js';
export { NAMESPACE_INDEX, OWNER_UID_INDEX } from './cache/store.js';
export type { Selector } from './cache/label-selector.js';
export { compileSelector } from './cache/label-selector.js';
export { parseLabelSelector } from './cache/parse-label-selector.js';
export type { Transform } from './cache/transform.js';
export { stripManagedFields, toPartialObjectMetadata } from './cache/transform.js';
export { objectKey } from './cache/object-key.js';

export type {
  Controller,
  ControllerOptions,
  ControllerState,
  Logger,
  WatchOptions,
} from './controller/controller.js';
export { createController } from './controller/default-controller.js';
export type { ReconcileOutcome } from './controller/controller-metrics.js';
export type { KindScope, ObjectEvent, Source } from './controller/source.js';
export { channelSource, kindSource, observableSource, requestSource } from './controller/source.js';
export type { EventHandler, OwnerHandlerOptions } from './controller/handler.js';
export {
  enqueueRequestForObject,
  enqueueRequestForOwner,
  enqueueRequestsFromMapFunc,
} from './controller/handler.js';
export type { Predicate } from './controller/predicate.js';
export {
  and,
  annotationsChanged,
  generationChanged,
  labelsChanged,
  labelSelector,
  not,
  or,
  resourceVersionChanged,
} from './controller/predicate.js';
export type { BuilderControllerOptions, ForOptions, OwnsOptions } from './builder/controller-builder.js';
export { ControllerBuilder, controllerManagedBy } from './builder/controller-builder.js';
export type { ManagerCacheOptions, ManagerCachedClientOptions } from './builder/manager-cache.js';
export { cacheFor, cachedClientFor, clientFor } from './builder/manager-cache.js';
export type {
  CachedApplyOptions,
  CachedClient,
  CachedClientOptions,
  CachedListOptions,
  CachedReadOptions,
} from './client/cached-client.js';
export { createCachedClient } from './client/default-cached-client.js';
export type { FenceOptions, LeadershipTerm } from './client/fenced-client.js';
export { fencedClient } from './client/fenced-client.js';
export { compareResourceVersions } from './client/resource-version.js';
export { registerCache } from './builder/manager-cache.js';
export type { ControllerMetadata } from './di/controller-decorator.js';
export { controller, controllerMetadata } from './di/controller-decorator.js';
export type { ReconcileModuleOptions } from './di/reconcile-module.js';
export {
  CACHE,
  CACHED_CLIENT,
  CLIENT,
  EVENT_RECORDER,
  RECONCILER,
  reconcileModule,
} from './di/reconcile-module.js';
export type {
  EventOptions,
  EventRecorder,
  EventRecorderOptions,
  EventsApi,
  EventType,
} from './events/event-recorder.js';
export { createEventRecorder } from './events/queued-event-recorder.js';
export type { ManagerRecorderOptions } from './events/manager-recorder.js';
export { recorderFor } from './events/manager-recorder.js';
export type { FinalizeOutcome } from './helpers/finalizers.js';
export {
  addFinalizer,
  finalize,
  hasFinalizer,
  isBeingDeleted,
  removeFinalizer,
} from './helpers/finalizers.js';
export { setControllerReference, setOwnerReference } from './helpers/owner-references.js';
export type { ConditionInput } from './helpers/conditions.js';
export {
  findStatusCondition,
  isStatusConditionTrue,
  removeStatusCondition,
  setStatusCondition,
} from './helpers/conditions.js';
