import type { Fault, FaultInjector, FaultRule, RequestMatch } from '../envtest.js';
import { EnvtestError } from '../envtest-error.js';
import { matchesRequest } from './request-attributes.js';
import type { RequestAttributes } from './request-attributes.js';

/** The effect of the faults matching one request. */
export interface FaultDecision {
  readonly latencyMs: number;
  readonly effect?:
    | {
        readonly kind: 'error';
        readonly code: number;
        readonly retryAfterSeconds?: number;
        readonly message?: string;
      }
    | { readonly kind: 'hang'; readonly release: (onRelease: () => void) => () => void }
    | { readonly kind: 'partition' };
}

interface ActiveFault {
  readonly id: number;
  readonly rule: FaultRule;
  remaining: number | undefined;
  /** Release callbacks of the requests this fault keeps hanging. */
  readonly hung: Set<() => void>;
}

const NO_FAULT: FaultDecision = { latencyMs: 0 };

const VERBS = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']);

/** Checks a rule and returns it; throws `EnvtestError('invalidFault')` explaining what is wrong. */
export function validateFaultRule(rule: FaultRule): FaultRule {
  const effects = [rule.error, rule.hang, rule.partition].filter(
    (effect) => effect !== undefined && effect !== false,
  );
  if (effects.length > 1) {
    throw new EnvtestError('invalidFault', 'fault rule: set at most one of error, hang, partition');
  }
  if (effects.length === 0 && rule.latencyMs === undefined) {
    throw new EnvtestError('invalidFault', 'fault rule: set latencyMs, error, hang or partition');
  }
  if (rule.latencyMs !== undefined && (!Number.isFinite(rule.latencyMs) || rule.latencyMs < 0)) {
    throw new EnvtestError('invalidFault', `fault rule: latencyMs (${rule.latencyMs}) must be a number >= 0`);
  }
  if (rule.latencyMs !== undefined && (rule.hang === true || rule.partition === true)) {
    throw new EnvtestError('invalidFault', 'fault rule: latencyMs combines only with error');
  }
  if (rule.error && (!Number.isInteger(rule.error.code) || rule.error.code < 400 || rule.error.code > 599)) {
    throw new EnvtestError(
      'invalidFault',
      `fault rule: error.code (${rule.error.code}) must be an HTTP error code 400-599`,
    );
  }
  if (rule.times !== undefined && (!Number.isInteger(rule.times) || rule.times < 1)) {
    throw new EnvtestError('invalidFault', `fault rule: times (${rule.times}) must be an integer >= 1`);
  }
  if (rule.verb !== undefined && !VERBS.has(rule.verb)) {
    throw new EnvtestError('invalidFault', `fault rule: unknown verb "${rule.verb}"`);
  }
  return rule;
}

/** What faults do to the open watch streams (the server's WatchRegistry). */
export interface OpenWatches {
  /** Closes the matching streams (cutting their connections if asked); returns how many. */
  drop(match: RequestMatch, destroy: boolean): number;
  /** Silences the matching streams, connections kept open; returns how many. */
  stall(match: RequestMatch): number;
  /** Writes `text` as it is on the matching streams; returns how many got it. */
  writeRaw(match: RequestMatch, text: string): number;
  /** Arms the matching streams to send half of their next event, then cut the connection; returns how many. */
  cutMidEvent(match: RequestMatch): number;
}

/** The default line of `corruptWatches`: an event cut off mid-object. */
const TRUNCATED_EVENT_LINE = '{"type":"MODIFIED","object":{"metadata":\n';

/**
 * The faults in force, in the order added. A request is delayed by the sum of the matching
 * latencies and suffers the effect of the first matching rule that has one.
 */
export class FaultTable implements FaultInjector {
  readonly #faults = new Map<number, ActiveFault>();
  readonly #watches: OpenWatches;
  #nextId = 1;

  /** @param watches the server's open watch streams, which some faults act on. */
  constructor(watches: OpenWatches) {
    this.#watches = watches;
  }

  add(rule: FaultRule): Fault & { readonly id: number } {
    validateFaultRule(rule);
    const fault: ActiveFault = {
      id: this.#nextId++,
      rule: { ...rule },
      remaining: rule.times,
      hung: new Set(),
    };
    this.#faults.set(fault.id, fault);
    // A partition also cuts the watches that are already open.
    if (rule.partition) this.#watches.drop(rule, true);
    return {
      id: fault.id,
      remove: () => {
        this.remove(fault.id);
      },
    };
  }

  /** Ends one fault: the requests it keeps hanging fail as dropped connections. */
  remove(id: number): boolean {
    const fault = this.#faults.get(id);
    if (!fault) return false;
    this.#faults.delete(id);
    for (const release of fault.hung) release();
    fault.hung.clear();
    return true;
  }

  list(): { id: number; rule: FaultRule; remaining?: number }[] {
    return [...this.#faults.values()].map((fault) =>
      fault.remaining === undefined
        ? { id: fault.id, rule: fault.rule }
        : { id: fault.id, rule: fault.rule, remaining: fault.remaining },
    );
  }

  dropWatches(match: RequestMatch = {}): number {
    return this.#watches.drop(match, false);
  }

  stallWatches(match: RequestMatch = {}): number {
    return this.#watches.stall(match);
  }

  corruptWatches(match: RequestMatch = {}, line = TRUNCATED_EVENT_LINE): number {
    if (typeof line !== 'string' || line === '') {
      throw new EnvtestError('invalidFault', 'envtest: corruptWatches needs a non-empty line');
    }
    return this.#watches.writeRaw(match, line.endsWith('\n') ? line : `${line}\n`);
  }

  cutWatchesMidEvent(match: RequestMatch = {}): number {
    return this.#watches.cutMidEvent(match);
  }

  clear(): void {
    for (const id of [...this.#faults.keys()]) this.remove(id);
  }

  /** The faults that apply to one request; counts it against rules with `times`. */
  decide(request: RequestAttributes): FaultDecision {
    if (this.#faults.size === 0) return NO_FAULT;
    let latencyMs = 0;
    let effect: FaultDecision['effect'];
    for (const fault of [...this.#faults.values()]) {
      if (!matchesRequest(fault.rule, request)) continue;
      if (effect !== undefined && fault.rule.latencyMs === undefined) continue;
      latencyMs += fault.rule.latencyMs ?? 0;
      const rule = fault.rule;
      if (effect === undefined) {
        if (rule.error) {
          effect = {
            kind: 'error',
            code: rule.error.code,
            ...(rule.error.retryAfterSeconds === undefined
              ? {}
              : { retryAfterSeconds: rule.error.retryAfterSeconds }),
            ...(rule.error.message === undefined ? {} : { message: rule.error.message }),
          };
        } else if (rule.hang) {
          effect = {
            kind: 'hang',
            release: (onRelease) => {
              fault.hung.add(onRelease);
              return () => fault.hung.delete(onRelease);
            },
          };
        } else if (rule.partition) effect = { kind: 'partition' };
      }
      if (fault.remaining !== undefined) {
        fault.remaining -= 1;
        if (fault.remaining <= 0) this.#faults.delete(fault.id);
      }
    }
    return effect ? { latencyMs, effect } : { latencyMs };
  }
}
