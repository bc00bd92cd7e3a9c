import type { Lock } from '@kubekit/leaderelection';
import { inWholeSeconds, rewritingLock } from './rewriting-lock.js';
import type { SimLock } from './sim-lock-store.js';

/**
 * `lock` storing acquireTime in whole seconds, as client-go writes the
 * `control-plane.alpha.kubernetes.io/leader` annotation (RFC 3339 without a fraction): what is read
 * back has it truncated to the second. A fault the simulation lacked: the lock format is not a
 * lossless round trip of what the elector writes. (renewTime keeps its milliseconds, as
 * ConfigMapLock writes them: with whole seconds every renew within one second would be a no-op the
 * API server drops, and a renewDeadline under a second could not be kept.)
 */
export function legacyAnnotationFormat(lock: SimLock): Lock {
  return rewritingLock(lock, (record) => inWholeSeconds(record, ['acquireTime']));
}
