import type { Term } from '@kubekit/leaderelection';
import type { SimCandidate, SimWorld } from './sim-world.js';

/** One term a candidate held: when (virtual ms) it began, and when its signal aborted. */
export interface TermEntry {
  readonly start: number;
  end?: number;
  readonly term: Term;
}

/** Every term `candidate` holds from now on, with its start and (once aborted) end. */
export function termLog(world: SimWorld, candidate: SimCandidate): TermEntry[] {
  const log: TermEntry[] = [];
  candidate.elector.leadership$.subscribe((l) => {
    if (!l.leading) return;
    const entry: TermEntry = { start: world.scheduler.now, term: l.term };
    log.push(entry);
    l.term.signal.addEventListener('abort', () => {
      entry.end = world.scheduler.now;
    });
  });
  return log;
}

/** True when a term of `a` and a term of `b` were both running (signal to signal) at some instant. */
export function overlapped(a: readonly TermEntry[], b: readonly TermEntry[]): boolean {
  return a.some((x) => b.some((y) => x.start < (y.end ?? Infinity) && y.start < (x.end ?? Infinity)));
}
