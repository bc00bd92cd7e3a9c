import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { KubeConfig } from '@kubernetes/client-node';

/** An envtest server in a child process, so that only the clients are measured here. */
export interface EnvtestProcess {
  readonly kubeConfig: KubeConfig;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
const cli = join(
  dirname(require.resolve('@kubekit/envtest/package.json')),
  'dist',
  'bin',
  'kubekit-envtest.js',
);

/** Starts `kubekit-envtest` and reads its kubeconfig. */
export async function startEnvtestProcess(): Promise<EnvtestProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'kubekit-reconcile-bench-'));
  const path = join(dir, 'kubeconfig');
  const child: ChildProcess = spawn(process.execPath, [cli, '--kubeconfig-out', path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.stdout === null) throw new Error('envtest: no stdout');
  const lines = createInterface({ input: child.stdout });
  await once(lines, 'line');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  return {
    kubeConfig,
    stop: async () => {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      lines.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The live heap after full collections (needs `--expose-gc`, which `npm run bench` passes). */
export function liveHeap(): number {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with --expose-gc');
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}
