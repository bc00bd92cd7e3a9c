import { LeaderElectionError } from '../leader-election-error.js';

const unitMs: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration written as Go and kubectl write them (`15s`, `500ms`, `1m30s`, `1.5s`) into
 * milliseconds. A bare number is not accepted: the unit is required. Throws a
 * `LeaderElectionError` of kind `invalidConfig` naming `what` when the text is not a duration.
 */
export function parseDuration(text: string, what: string): number {
  const part = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let match = part.exec(text); match !== null; match = part.exec(text)) {
    const [, amount = '', unit = ''] = match;
    total += Number(amount) * (unitMs[unit] ?? Number.NaN);
    matched = part.lastIndex;
  }
  if (text.length === 0 || matched !== text.length || !Number.isFinite(total)) {
    throw new LeaderElectionError(
      'invalidConfig',
      `${what}: ${JSON.stringify(text)} is not a duration; write it with a unit, e.g. 15s, 500ms or 1m30s`,
    );
  }
  return total;
}
