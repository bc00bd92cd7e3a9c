/** One measured figure, in the form `npm run bench` collects (see bench/run.mjs). */
export interface Figure {
  /** `<package>/<benchmark>/<figure>`. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** A comparison against `value` such as `<= 20`, or null. */
  readonly goal: string | null;
  /** The same figure for a baseline, measured in the same run, or null. */
  readonly baseline: number | null;
}

/** Prints one figure for the bench runner, and the same in words beside its goal. */
export function reportFigure(figure: Figure): void {
  process.stdout.write(`@@bench ${JSON.stringify(figure)}\n`);
}

/** The nearest-rank percentile `p` (0–100) of `values`; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}
