/** One measured figure, in the form `npm run bench` collects (see bench/run.mjs). */
export interface Figure {
  /** `reconcile/<benchmark>/<figure>`. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** A comparison against `value` such as `<= 20`, or null. */
  readonly goal: string | null;
  /** The same figure for the baseline, measured in the same run, or null. */
  readonly baseline: number | null;
}

/** Prints one figure for the bench runner. */
export function reportFigure(figure: Figure): void {
  process.stdout.write(`@@bench ${JSON.stringify(figure)}\n`);
}

/** The median of `values` (NaN for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
