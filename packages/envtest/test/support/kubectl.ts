import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestEnvtest } from '@kubekit/envtest/testing';

/** True when kubectl is on PATH. */
export const kubectlAvailable =
  spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

/** The outcome of one kubectl run. */
export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** kubectl with a kubeconfig of the envtest in a temporary folder, per test. */
export interface Kubectl {
  /** Runs kubectl in the test's namespace; resolves with its exit code and output. */
  run(...args: string[]): Promise<KubectlResult>;
  /** Runs kubectl and rejects unless it exits 0; resolves with stdout. */
  ok(...args: string[]): Promise<string>;
  /** Writes JSON documents to a file kubectl can read with `-f`. */
  manifest(name: string, objects: readonly unknown[]): Promise<string>;
}

/**
 * Registers mocha hooks that give each test a kubectl for `env` (a kubeconfig in a fresh
 * folder, removed after the test). Skips the suite when kubectl is not installed.
 */
export function useKubectl(env: TestEnvtest, user?: string): Kubectl {
  let dir = '';
  before(function () {
    if (!kubectlAvailable) this.skip();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envtest-kubectl-'));
    await env.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const run = (...args: string[]): Promise<KubectlResult> =>
    new Promise((resolve) => {
      const full = [
        '--kubeconfig',
        join(dir, 'kubeconfig'),
        '--cache-dir',
        join(dir, 'cache'),
        ...(user === undefined ? [] : ['--context', user]),
        '-n',
        env.namespace,
        ...args,
      ];
      execFile('kubectl', full, { encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  return {
    run,
    async ok(...args) {
      const result = await run(...args);
      if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    },
    async manifest(name, objects) {
      const path = join(dir, `${name}.json`);
      await writeFile(path, objects.map((object) => JSON.stringify(object)).join('\n'));
      return path;
    },
  };
}
