import type { Logger } from '../logger.js';

/**
 * Logs each distinct failure condition of a channel (e.g. `renew`, `watch`) once per streak of
 * failures, at warn level, and the recovery once, at info level; repeats go to debug. Keeps a log
 * readable when an API server fails every retryPeriod for hours.
 */
export class ConditionLog {
  /** Per failing channel, the conditions already reported in the current streak of failures. */
  private readonly current = new Map<string, Set<string>>();

  constructor(
    private readonly logger: Logger,
    private readonly fields: object,
  ) {}

  /** Reports that `channel` is failing with `condition` (a short key such as `http503`). */
  fail(channel: string, condition: string, message: string, error?: unknown): void {
    const fields = { ...this.fields, channel, condition, ...(error === undefined ? {} : { err: error }) };
    const seen = this.current.get(channel) ?? new Set<string>();
    this.current.set(channel, seen);
    if (seen.has(condition)) {
      this.logger.debug(fields, message);
      return;
    }
    seen.add(condition);
    this.logger.warn(fields, message);
  }

  /** Reports that `channel` works again; logs only if it was failing. */
  ok(channel: string, message: string): void {
    const was = this.current.get(channel);
    if (was === undefined) return;
    this.current.delete(channel);
    this.logger.info({ ...this.fields, channel, recoveredFrom: [...was] }, message);
  }
}
