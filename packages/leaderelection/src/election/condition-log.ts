import type { Logger } from '../logger.js';

/**
 * Logs each distinct failure condition of a channel (e.g. `renew`, `watch`) once, at warn level,
 * and its recovery once, at info level; repeats of the same condition go to debug. Keeps a log
 * readable when an API server fails every retryPeriod for hours.
 */
export class ConditionLog {
  private readonly current = new Map<string, string>();

  constructor(
    private readonly logger: Logger,
    private readonly fields: object,
  ) {}

  /** Reports that `channel` is failing with `condition` (a short key such as `http503`). */
  fail(channel: string, condition: string, message: string, error?: unknown): void {
    const fields = { ...this.fields, channel, condition, ...(error === undefined ? {} : { err: error }) };
    if (this.current.get(channel) === condition) {
      this.logger.debug(fields, message);
      return;
    }
    this.current.set(channel, condition);
    this.logger.warn(fields, message);
  }

  /** Reports that `channel` works again; logs only if it was failing. */
  ok(channel: string, message: string): void {
    const was = this.current.get(channel);
    if (was === undefined) return;
    this.current.delete(channel);
    this.logger.info({ ...this.fields, channel, recoveredFrom: was }, message);
  }
}
