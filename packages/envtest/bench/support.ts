import { Agent, request } from 'node:https';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { spawnWithLifeline } from '#lib/process/spawn-with-lifeline.js';

/** What a client needs of a server: its URL and an admin KubeConfig. */
export interface ServerEndpoint {
  readonly url: string;
  readonly kubeConfig: KubeConfig;
}

/**
 * Runs `kubekit-envtest` in a child process (as a demo or CI job runs it), so that the server
 * and the benchmark's clients each have a core. Resolves once it printed its ready line.
 */
export async function startServerProcess(
  args: readonly string[] = [],
): Promise<ServerEndpoint & { readonly pid: number; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'envtest-bench-'));
  const cli = createRequire(import.meta.url)
    .resolve('@kubekit/envtest/package.json')
    .replace(/package\.json$/, 'dist/bin/kubekit-envtest.js');
  // --exit-with-parent: the server stops with this process even if it is killed.
  const child = spawnWithLifeline(
    cli,
    ['--kubeconfig-out', join(dir, 'kubeconfig'), '--exit-with-parent', ...args],
    {
      stderr: 'inherit',
      preload: false, // the CLI watches the pipe itself
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      const newline = output.indexOf('\n');
      if (newline >= 0) resolve(output.slice(0, newline));
    });
    child.on('exit', (code) => {
      reject(new Error(`kubekit-envtest exited with ${code ?? 'a signal'}`));
    });
  });
  const ready = JSON.parse(line) as { url: string; kubeconfig: string };
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(ready.kubeconfig);
  return {
    url: ready.url,
    kubeConfig,
    pid: child.pid ?? 0,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The CPU time a process has used so far, in microseconds (every thread's time on a CPU, from
 * Linux's schedstat): a server's own cost, which machine load does not inflate as it does wall time.
 */
export async function processCpuUs(pid: number): Promise<number> {
  const tasks = await readdir(`/proc/${pid}/task`);
  let ns = 0;
  for (const task of tasks) {
    const stat = await readFile(`/proc/${pid}/task/${task}/schedstat`, 'utf8').catch(() => '0');
    ns += Number(stat.split(' ')[0]);
  }
  return ns / 1000;
}

/** Prints one figure in the format bench/run.mjs reads. */
export function report(
  name: string,
  value: number,
  unit: 'ms' | 'us' | 'req/s' | 'count' | 'x',
  goal: string | null,
  extra: Record<string, unknown> = {},
): void {
  console.log(
    `@@bench ${JSON.stringify({ name: `envtest/${name}`, value: Number(value.toFixed(3)), unit, ...extra, goal, baseline: null })}`,
  );
}

export { median, percentile, spread } from '#lib/bench/index.js';

/** A minimal keep-alive JSON client over Node's https, trusting the server's CA. */
export class RawClient {
  readonly #agent: Agent;
  readonly #base: URL;
  readonly #token: string;
  readonly #ca: string;

  constructor(env: ServerEndpoint, maxSockets: number) {
    const cluster = env.kubeConfig.getCurrentCluster();
    this.#ca = Buffer.from(cluster?.caData ?? '', 'base64').toString('utf8');
    this.#token = env.kubeConfig.getCurrentUser()?.token ?? '';
    this.#base = new URL(env.url);
    this.#agent = new Agent({ keepAlive: true, maxSockets, ca: this.#ca });
  }

  send(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.#base.hostname,
          port: this.#base.port,
          path,
          method,
          agent: this.#agent,
          headers: {
            Authorization: `Bearer ${this.#token}`,
            ...(payload === undefined
              ? {}
              : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = text;
            }
            resolve({ status: res.statusCode ?? 0, json });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Opens a watch and calls `onLine` for every JSON line; returns the request to destroy. */
  watch(path: string, onLine: (line: string) => void): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.#base.hostname,
          port: this.#base.port,
          path,
          method: 'GET',
          ca: this.#ca,
          agent: false,
          headers: { Authorization: `Bearer ${this.#token}` },
        },
        (res) => {
          let pending = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            pending += chunk;
            let newline;
            while ((newline = pending.indexOf('\n')) >= 0) {
              onLine(pending.slice(0, newline));
              pending = pending.slice(newline + 1);
            }
          });
          res.on('error', () => undefined);
          resolve(() => req.destroy());
        },
      );
      req.on('error', (error) => {
        reject(error);
      });
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
