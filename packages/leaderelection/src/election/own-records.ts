import type { LeaderElectionRecord } from '../locks/leader-election-record.js';

/** How this replica recognises a record it wrote itself: the term's epoch and acquire time. */
export interface OwnRecord {
  readonly epoch: number;
  readonly acquireTime: Date;
  /**
   * Recognised only by an acquire time stored to the millisecond (never by one stored in whole
   * seconds, which another process under this identity racing in the same second would match too).
   */
  readonly exact?: boolean;
}

/**
 * Whether a time read back from a lock is `written`: to the millisecond when the lock kept the
 * fraction (a Lease's MicroTime, this package's ConfigMap lock), to the whole second when it stored
 * whole seconds (client-go's annotation format). Comparing every time to the second only would make
 * any record of the same second match.
 */
function storedAs(stored: Date, written: Date): boolean {
  const at = stored.getTime();
  if (at % 1000 !== 0) return at === written.getTime();
  return at / 1000 === Math.floor(written.getTime() / 1000);
}

/** Whether `stored` is `written` to the millisecond, with a fraction kept (see {@link OwnRecord.exact}). */
export function storedExactly(stored: Date, written: Date): boolean {
  const at = stored.getTime();
  return at % 1000 !== 0 && at === written.getTime();
}

/** How many of its own terms' records an observer recognises. */
const ownLimit = 4;

/**
 * The records this replica wrote as the holder of its recent terms, recognised by epoch and
 * acquire time under its identity: a record under this identity that this process did not write
 * belongs to someone else (a duplicate identity, or a previous run of this replica).
 */
export class OwnRecords {
  private readonly own: OwnRecord[] = [];

  constructor(private readonly identity: string) {}

  /** Records a term of this replica (the oldest of more than four is forgotten). */
  mark(record: OwnRecord): void {
    this.own.push(record);
    if (this.own.length > ownLimit) this.own.shift();
  }

  /**
   * Forgets a mark whose write was refused (a conflict to a write sent once: the record was not
   * written). Otherwise a record of another process under this identity with the same epoch,
   * acquired within the same second, would pass for this replica's own (and be overwritten at
   * once). Keeping a mark too long is the unsafe way; forgetting one is only ever too cautious.
   */
  unmark(record: OwnRecord): void {
    const index = this.indexOf(record);
    if (index >= 0) this.own.splice(index, 1);
  }

  /**
   * Keeps a mark whose write may or may not have landed, but only for a record that stored its
   * acquire time to the millisecond (see {@link OwnRecord.exact}): for a 409 to a write sent again,
   * where another process under this identity may have won the same epoch in the same second.
   */
  narrow(record: OwnRecord): void {
    const index = this.indexOf(record);
    if (index >= 0) this.own[index] = { ...record, exact: true };
  }

  /**
   * True when `record` is one this replica wrote as the holder of one of its terms: same identity,
   * epoch and acquire time. A time stored in whole seconds (the ConfigMap annotation as client-go
   * writes it) is compared to the second, one with a fraction to the millisecond: a write that failed
   * without landing keeps its mark, and another process under this identity that wrote the same epoch
   * within the same second must not pass for this replica.
   */
  has(record: LeaderElectionRecord | undefined): boolean {
    if (record?.holderIdentity !== this.identity || record.acquireTime === undefined) return false;
    const acquired = record.acquireTime;
    return this.own.some(
      (own) =>
        own.epoch === record.leaseTransitions &&
        (own.exact === true ? storedExactly(acquired, own.acquireTime) : storedAs(acquired, own.acquireTime)),
    );
  }

  private indexOf(record: OwnRecord): number {
    return this.own.findIndex(
      (own) => own.epoch === record.epoch && own.acquireTime.getTime() === record.acquireTime.getTime(),
    );
  }
}
