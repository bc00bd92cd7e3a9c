export { KubeClientError } from './kube-client-error.js';
export type {
  KubeClientErrorKind,
  KubeClientErrorOptions,
  Status,
  StatusCause,
  StatusDetails,
} from './kube-client-error.js';
export {
  isAlreadyExists,
  isBadRequest,
  isConflict,
  isExpired,
  isForbidden,
  isGone,
  isInternalError,
  isInvalid,
  isMethodNotSupported,
  isNotAcceptable,
  isNotFound,
  isRequestEntityTooLarge,
  isServerTimeout,
  isServiceUnavailable,
  isTimeout,
  isTooManyRequests,
  isUnauthorized,
  isUnsupportedMediaType,
} from './api-errors.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { Transport } from './transport/transport.js';
export type { PeekBody } from './transport/collect-response.js';
export type {
  HttpMethod,
  TransportOptions,
  TransportRequest,
  TransportResponse,
  TransportStream,
} from './transport/transport.js';
export { defaultRateLimit } from './transport/token-bucket.js';
export type { RateLimit } from './transport/token-bucket.js';
export { createClient, KubeClient } from './objects/kube-client.js';
export type { ClientOptions } from './objects/kube-client.js';
export type { KindRef, KubeList, KubeObject, ObjectRef } from './objects/kube-object.js';
export type {
  ApplyOptions,
  CallOptions,
  DeleteCollectionOptions,
  DeleteOptions,
  GetOptions,
  ListAllOptions,
  MetadataOnlyOption,
  ListOptions,
  ObjectClient,
  PatchOptions,
  SelectorOptions,
  WatchOptions,
  WriteOptions,
} from './objects/object-client.js';
export { RestMapper } from './objects/rest-mapper.js';
export type { MappingOptions, ResourceMapping } from './objects/rest-mapper.js';
export type { WatchEvent, WatchEventType } from './watch/watch-event.js';
export { readWatchEvents } from './watch/read-watch-events.js';
export type { ReadWatchOptions, WatchBody } from './watch/read-watch-events.js';
export { clientNodeConfiguration } from './client-node-configuration.js';
export { loadKubeConfig } from './load-kube-config.js';
