/**
 * What a lock holds, in the form every lock reads and writes. Times are for humans and other tools
 * only: the elector never compares them with its own clock.
 */
export interface LeaderElectionRecord {
  /** The holder's identity; `''` when nobody holds the lock (released, or never held). */
  readonly holderIdentity: string;
  /** How long the holder's claim lasts after each renew, in seconds; `0` when unknown. */
  readonly leaseDurationSeconds: number;
  readonly acquireTime: Date | undefined;
  readonly renewTime: Date | undefined;
  /** Number of changes of holder so far (≥ 0): the epoch of the current term. */
  readonly leaseTransitions: number;
}

/** True when `record` says explicitly that nobody holds the lock (an empty holder: a release). */
export function isReleased(record: LeaderElectionRecord | undefined): boolean {
  return record?.holderIdentity === '';
}

/** True when the record names a holder whose claim can be timed: a non-empty identity and a positive duration. */
export function hasValidHolder(record: LeaderElectionRecord | undefined): record is LeaderElectionRecord {
  return record !== undefined && record.holderIdentity !== '' && record.leaseDurationSeconds > 0;
}

function readNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value.trim());
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

function readTime(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

/**
 * Reads a record written by any implementation, tolerantly: numbers may be strings, times may be
 * in any format `Date` understands (or missing), and fields may be absent. A holder that is not a
 * string, or a duration that is missing, zero or negative, yields a record without a valid holder
 * (see {@link hasValidHolder}); a value that is not an object at all yields `undefined`. Never
 * throws.
 */
export function parseLeaderElectionRecord(value: unknown): LeaderElectionRecord | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  const holder = raw['holderIdentity'];
  const duration = readNumber(raw['leaseDurationSeconds']);
  const transitions = readNumber(raw['leaseTransitions'] ?? raw['leaderTransitions']);
  return {
    holderIdentity: typeof holder === 'string' ? holder : '',
    leaseDurationSeconds: duration !== undefined && duration > 0 ? duration : 0,
    acquireTime: readTime(raw['acquireTime']),
    renewTime: readTime(raw['renewTime']),
    leaseTransitions: transitions !== undefined && transitions >= 0 ? Math.floor(transitions) : 0,
  };
}

/** Parses the JSON of a ConfigMap leader annotation; garbage yields `undefined`, never an exception. */
export function parseLeaderElectionAnnotation(json: string | undefined): LeaderElectionRecord | undefined {
  if (json === undefined) return undefined;
  try {
    return parseLeaderElectionRecord(JSON.parse(json) as unknown);
  } catch {
    return undefined;
  }
}
