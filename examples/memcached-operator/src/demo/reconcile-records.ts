import { readFileSync } from 'node:fs';
import type { ReconcileRecord } from '../reconcile-log.js';

/** One reconcile, from its `begin` line to its `end` line (or to the death of its process). */
export interface ReconcileInterval {
  readonly replica: string;
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly outcome: string;
  /** No `end` line: the process died during it; `end` is when it was seen to exit. */
  readonly cutByDeath: boolean;
}

/** Two reconciles of different replicas that ran at the same time. */
export interface Overlap {
  readonly a: ReconcileInterval;
  readonly b: ReconcileInterval;
  readonly ms: number;
}

/** Reads a reconcile log (JSON lines); a torn last line is ignored. */
export function readReconcileLog(path: string): ReconcileRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const records: ReconcileRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      records.push(JSON.parse(line) as ReconcileRecord);
    } catch {
      // a line still being written
    }
  }
  return records;
}

/**
 * Pairs begin and end records per replica (each process has one worker, so they alternate). A
 * begin without an end belongs to a process that died: it lasts until the first exit of that
 * replica after it (`exits`), or, with none known, until now (`openUntil`), so it can only make
 * overlaps more likely, never hide one.
 */
export function toIntervals(
  records: readonly ReconcileRecord[],
  exits: ReadonlyMap<string, readonly number[]>,
  openUntil: number,
): ReconcileInterval[] {
  const open = new Map<string, ReconcileRecord & { phase: 'begin' }>();
  const intervals: ReconcileInterval[] = [];
  const death = (replica: string, after: number): number =>
    (exits.get(replica) ?? []).find((at) => at >= after) ?? openUntil;
  const cut = (begin: ReconcileRecord & { phase: 'begin' }): void => {
    intervals.push({
      replica: begin.replica,
      key: begin.key,
      start: begin.at,
      end: death(begin.replica, begin.at),
      outcome: 'died',
      cutByDeath: true,
    });
  };
  for (const record of records) {
    const begun = open.get(record.replica);
    if (record.phase === 'begin') {
      if (begun !== undefined) cut(begun);
      open.set(record.replica, record);
    } else if (begun !== undefined) {
      open.delete(record.replica);
      intervals.push({
        replica: record.replica,
        key: begun.key,
        start: begun.at,
        end: record.at,
        outcome: record.outcome,
        cutByDeath: false,
      });
    }
  }
  for (const begun of open.values()) cut(begun);
  return intervals.sort((x, y) => x.start - y.start);
}

/** Every pair of reconciles of different replicas whose intervals intersect. */
export function findOverlaps(intervals: readonly ReconcileInterval[]): Overlap[] {
  const sorted = [...intervals].sort((x, y) => x.start - y.start);
  const latest = new Map<string, ReconcileInterval>(); // per replica, the interval ending last so far
  const overlaps: Overlap[] = [];
  for (const interval of sorted) {
    for (const [replica, other] of latest) {
      if (replica !== interval.replica && other.end > interval.start) {
        overlaps.push({ a: other, b: interval, ms: Math.min(other.end, interval.end) - interval.start });
      }
    }
    const mine = latest.get(interval.replica);
    if (mine === undefined || interval.end > mine.end) latest.set(interval.replica, interval);
  }
  return overlaps;
}

/** The shortest time between the end of one replica's reconcile and the start of another's (ms). */
export function closestHandoff(intervals: readonly ReconcileInterval[]): number | undefined {
  const sorted = [...intervals].sort((x, y) => x.start - y.start);
  let best: number | undefined;
  const lastEnd = new Map<string, number>();
  for (const interval of sorted) {
    for (const [replica, end] of lastEnd) {
      if (replica === interval.replica) continue;
      const gap = interval.start - end;
      if (best === undefined || gap < best) best = gap;
    }
    lastEnd.set(interval.replica, Math.max(lastEnd.get(interval.replica) ?? -Infinity, interval.end));
  }
  return best;
}
