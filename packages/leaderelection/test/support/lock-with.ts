import type { Lock } from '@kubekit/leaderelection';

/** `lock` with `overrides` in place of some of its members; the others are `lock`'s own (inherited). */
export function lockWith(lock: Lock, overrides: Partial<Lock>): Lock {
  return Object.assign(Object.create(lock) as Lock, overrides);
}
