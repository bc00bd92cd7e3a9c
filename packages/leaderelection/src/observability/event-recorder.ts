/** A Kubernetes Event about the lock, e.g. `became leader`. */
export interface ElectionEvent {
  readonly type: 'Normal' | 'Warning';
  /** CamelCase, e.g. `LeaderElection`. */
  readonly reason: string;
  readonly message: string;
}

/**
 * Sends Events about a lock. The elector calls it fire-and-forget: a failure (rejection) is logged
 * at debug level and never affects the election. Must settle once `signal` aborts.
 */
export interface EventRecorder {
  record(event: ElectionEvent, signal: AbortSignal): Promise<void>;
}
