/**
 * Collects the unhandled promise rejections of the process in place of its listeners (the root
 * hooks' among them) until `restore()`, which puts those listeners back.
 */
export function captureUnhandledRejections(): { readonly reasons: unknown[]; restore(): void } {
  const reasons: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    reasons.push(reason);
  };
  const listeners = process.listeners('unhandledRejection');
  process.removeAllListeners('unhandledRejection');
  process.on('unhandledRejection', onUnhandled);
  return {
    reasons,
    restore: () => {
      process.off('unhandledRejection', onUnhandled);
      for (const listener of listeners) process.on('unhandledRejection', listener);
    },
  };
}
