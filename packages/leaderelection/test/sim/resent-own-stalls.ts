/** A held term of a candidate, in true ms. */
interface HeldTerm {
  readonly candidate: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Where a candidate did not lead soon after a 409 to a repeated write of its own that had landed
 * (its own record in the way of the repeat): it must recognise the record as its own and hold a
 * term within `boundMs` (true ms) of that answer, not wait a leaseDuration for "another process with
 * its identity". Answers later than `horizon - boundMs` are not judged. Only for candidates that
 * ran throughout (not crashed or stopped).
 */
export function resentOwnStalls(
  candidates: readonly { readonly name: string; readonly conflicts: readonly number[] }[],
  terms: readonly HeldTerm[],
  boundMs: number,
  horizon: number,
): string[] {
  const stalls: string[] = [];
  for (const { name, conflicts } of candidates) {
    for (const at of conflicts) {
      if (at + boundMs > horizon) continue;
      const led = terms.some((t) => t.candidate === name && t.end > at && t.start <= at + boundMs);
      if (!led) {
        stalls.push(
          `${name} held no term within ${boundMs.toFixed(0)} ms of the 409 to its landed write at ${at.toFixed(3)}`,
        );
      }
    }
  }
  return stalls;
}
