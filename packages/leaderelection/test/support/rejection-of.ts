/** Resolves with what `promise` rejects with, or with `undefined` when it fulfils. */
export function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
}
