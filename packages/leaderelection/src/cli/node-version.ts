import { readFileSync } from 'node:fs';

/** `[major, minor, patch]` of the first version in `text` (`v20.1.0`, `>=22.19`); missing parts are 0. */
function versionOf(text: string): number[] {
  const match = /(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text);
  return [1, 2, 3].map((group) => Number(match?.[group] ?? 0));
}

/**
 * The one line a bin prints when the running Node (`running`, e.g. `20.20.2`) is older than the
 * minimum of `engines.node` in the package.json at `manifest`; undefined when it is recent enough.
 * It uses nothing an old Node lacks, so that it can run before anything that needs a newer one loads.
 */
export function nodeVersionProblem(bin: string, running: string, manifest: URL): string | undefined {
  const { engines } = JSON.parse(readFileSync(manifest, 'utf8')) as { engines?: { node?: string } };
  const minimum = /\d+(?:\.\d+){0,2}/.exec(engines?.node ?? '')?.[0] ?? '0';
  const have = versionOf(running);
  const need = versionOf(minimum);
  const index = have.findIndex((part, i) => part !== need[i]);
  if (index === -1 || (have[index] ?? 0) > (need[index] ?? 0)) return undefined;
  return `${bin}: needs Node.js ${minimum} or newer, but this is Node.js ${running} (${process.execPath})`;
}
