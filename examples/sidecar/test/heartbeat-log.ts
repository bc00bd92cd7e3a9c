import { existsSync, readFileSync } from 'node:fs';

/** One line of app/run.sh's output. */
export interface Heartbeat {
  /** Unix time in milliseconds (from the script's `date +%s.%N`). */
  readonly at: number;
  readonly who: string;
  readonly pid: number;
  readonly what: 'start' | 'beat' | 'stop';
}

/** One run of the script (one process), from its first line to its last. */
export interface ScriptRun {
  readonly who: string;
  readonly pid: number;
  readonly first: number;
  readonly last: number;
  readonly lines: number;
  /** Whether it wrote `stop` (SIGTERM) rather than just ceasing (SIGKILL). */
  readonly stopped: boolean;
}

/** Every line of the heartbeat file. */
export function readHeartbeats(path: string): Heartbeat[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [at = '', who = '', pid = '', what = ''] = line.split(' ');
      if (what !== 'start' && what !== 'beat' && what !== 'stop') throw new Error(`unreadable line: ${line}`);
      return { at: Number(at) * 1000, who, pid: Number(pid), what };
    });
}

/** The runs of the script, in the order they started. */
export function scriptRuns(heartbeats: readonly Heartbeat[]): ScriptRun[] {
  const runs = new Map<number, ScriptRun>();
  for (const beat of heartbeats) {
    const run = runs.get(beat.pid);
    runs.set(
      beat.pid,
      run === undefined
        ? {
            who: beat.who,
            pid: beat.pid,
            first: beat.at,
            last: beat.at,
            lines: 1,
            stopped: beat.what === 'stop',
          }
        : {
            ...run,
            first: Math.min(run.first, beat.at),
            last: Math.max(run.last, beat.at),
            lines: run.lines + 1,
            stopped: run.stopped || beat.what === 'stop',
          },
    );
  }
  return [...runs.values()].sort((a, b) => a.first - b.first);
}

/** Pairs of runs whose [first, last] intervals intersect: two copies of the script running at once. */
export function overlappingRuns(runs: readonly ScriptRun[]): [ScriptRun, ScriptRun][] {
  const overlaps: [ScriptRun, ScriptRun][] = [];
  for (const [i, a] of runs.entries()) {
    for (const b of runs.slice(i + 1)) if (a.first <= b.last && b.first <= a.last) overlaps.push([a, b]);
  }
  return overlaps;
}
