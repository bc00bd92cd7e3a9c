import { readFileSync } from 'node:fs';

/** `major.minor.patch` of a version string such as `v22.19.0` or `>=22.19`. */
function parts(version: string): [number, number, number] {
  const match = /(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version);
  return [Number(match?.[1] ?? 0), Number(match?.[2] ?? 0), Number(match?.[3] ?? 0)];
}

/** True when `running` (e.g. `20.20.2`) is at least `minimum` (e.g. `22.19`). */
export function satisfiesMinimum(running: string, minimum: string): boolean {
  const [a, b, c] = parts(running);
  const [x, y, z] = parts(minimum);
  return a !== x ? a > x : b !== y ? b > y : c >= z;
}

/** The minimum Node version of the package's `engines.node` (`>=22.19` → `22.19`). */
export function requiredNodeVersion(packageJson: URL): string {
  const manifest = JSON.parse(readFileSync(packageJson, 'utf8')) as { engines?: { node?: string } };
  const range = manifest.engines?.node ?? '';
  const match = /\d+(?:\.\d+){0,2}/.exec(range);
  return match ? match[0] : '0';
}

/**
 * The one-line message a bin prints when the running Node is older than `minimum`, or undefined
 * when it is recent enough.
 */
export function nodeVersionProblem(bin: string, running: string, minimum: string): string | undefined {
  if (satisfiesMinimum(running, minimum)) return undefined;
  return `${bin}: needs Node.js ${minimum} or newer, but this is Node.js ${running} (${process.execPath})`;
}
