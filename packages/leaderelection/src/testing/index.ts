export type { MemoryLockOptions, MemoryLockPartition, MemoryLockStoreOptions } from './memory-lock.js';
export { MemoryLock, MemoryLockStore } from './memory-lock.js';
