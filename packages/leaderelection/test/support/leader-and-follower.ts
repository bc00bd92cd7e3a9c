import { fast } from './sim-world.js';
import type { SimCandidate, SimCandidateOptions, SimWorld } from './sim-world.js';
import { termLog } from './term-log.js';
import type { TermEntry } from './term-log.js';

/** Two candidates of one {@link SimWorld}, `a` meant to lead and `b` to follow, with their term logs. */
export interface LeaderAndFollower {
  readonly a: SimCandidate;
  readonly b: SimCandidate;
  readonly alog: TermEntry[];
  readonly blog: TermEntry[];
}

/** Options of the two candidates (each {@link fast} unless given). */
export interface LeaderAndFollowerOptions {
  readonly a?: SimCandidateOptions;
  readonly b?: SimCandidateOptions;
}

/** Adds `a`, then `b`, to `world` and logs the terms of each, from now on; starts neither. */
export function addLeaderAndFollower(
  world: SimWorld,
  options: LeaderAndFollowerOptions = {},
): LeaderAndFollower {
  const a = world.add('a', options.a ?? fast);
  const b = world.add('b', options.b ?? fast);
  return { a, b, alog: termLog(world, a), blog: termLog(world, b) };
}

/**
 * {@link addLeaderAndFollower}, then starts `a` and runs `headStartMs` of virtual time (50 ms: `a`
 * acquires the lock), then starts `b` and runs `settleMs` (`b` has read `a`'s record and follows).
 */
export async function startLeaderAndFollower(
  world: SimWorld,
  options: LeaderAndFollowerOptions & { readonly headStartMs?: number; readonly settleMs: number },
): Promise<LeaderAndFollower> {
  const pair = addLeaderAndFollower(world, options);
  pair.a.start();
  await world.advance(options.headStartMs ?? 50);
  pair.b.start();
  await world.advance(options.settleMs);
  return pair;
}

/** Adds `a` to `world` (each {@link fast} unless given), logs its terms, starts it and runs `settleMs`. */
export async function startLeader(
  world: SimWorld,
  options: { readonly a?: SimCandidateOptions; readonly settleMs: number },
): Promise<{ readonly a: SimCandidate; readonly alog: TermEntry[] }> {
  const a = world.add('a', options.a ?? fast);
  const alog = termLog(world, a);
  a.start();
  await world.advance(options.settleMs);
  return { a, alog };
}
