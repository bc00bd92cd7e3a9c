/** The events `kubekit-elect` reports, one line each. */
export type ElectEventName = 'started' | 'leader' | 'acquired' | 'lost' | 'released' | 'stopped' | 'error';

/** Where the printer writes; `process.stdout` fits. */
export interface LineSink {
  write(line: string): unknown;
}

/**
 * Prints `kubekit-elect`'s events: with `json`, one object per line
 * (`{"time": "<ISO 8601 with ms>", "event": ..., "identity": ..., ...fields}`); otherwise one
 * readable line `<time> <event> key=value ...`.
 */
export class EventPrinter {
  constructor(
    private readonly sink: LineSink,
    private readonly identity: string,
    private readonly json: boolean,
    private readonly now: () => Date = () => new Date(),
  ) {}

  print(event: ElectEventName, fields: Readonly<Record<string, string | number | null>> = {}): void {
    const time = this.now().toISOString();
    if (this.json) {
      this.sink.write(`${JSON.stringify({ time, event, identity: this.identity, ...fields })}\n`);
      return;
    }
    const rest = Object.entries(fields)
      .map(
        ([key, value]) =>
          `${key}=${typeof value === 'string' && /\s/.test(value) ? JSON.stringify(value) : String(value)}`,
      )
      .join(' ');
    this.sink.write(`${time} ${event} identity=${this.identity}${rest === '' ? '' : ` ${rest}`}\n`);
  }
}
