import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { EnvtestOptions } from './envtest.js';
import { EnvtestError } from './envtest-error.js';
import { isParentPipe, whenParentGone } from './process/exit-with-parent.js';
import type { ParentWatchOptions } from './process/exit-with-parent.js';
import { startEnvtest } from './start-envtest.js';

const USAGE = `usage: kubekit-envtest [--port N] [--host ADDRESS] [--kubeconfig-out PATH] [--gc-delay MS]
                       [--user NAME ...] [--insecure] [--http1-only] [--exit-with-parent]

Starts an embedded Kubernetes API server, writes a kubeconfig (admin context current, one
context per --user) and prints one JSON line {"url": ..., "kubeconfig": ...} when ready.
Serves HTTP/2 and HTTP/1.1 (by ALPN) unless --http1-only. Stops cleanly on SIGTERM or SIGINT,
and with --exit-with-parent also when its stdin (a pipe from the parent process) closes, as it
does when the parent exits, crashes or is killed.`;

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new EnvtestError(
      'invalidOptions',
      `kubekit-envtest: --${name} must be a non-negative integer, got "${value}"`,
    );
  return Number(value);
}

/**
 * Runs the CLI; resolves with the process exit code once the server has stopped. `signals` is
 * where SIGTERM and SIGINT arrive; `stdin` is read (and released on return) only with
 * `--exit-with-parent`, which `parentWatch` tunes (see `whenParentGone`).
 */
export async function main(
  argv: readonly string[],
  signals: NodeJS.EventEmitter = process,
  stdin: Readable = process.stdin,
  parentWatch: ParentWatchOptions = {},
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'kubeconfig-out': { type: 'string' },
        'gc-delay': { type: 'string' },
        user: { type: 'string', multiple: true },
        insecure: { type: 'boolean' },
        'http1-only': { type: 'boolean' },
        'exit-with-parent': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const values = parsed.values;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let options: EnvtestOptions;
  try {
    const port = integer('port', values.port);
    const gcDelayMs = integer('gc-delay', values['gc-delay']);
    options = {
      ...(port === undefined ? {} : { port }),
      ...(gcDelayMs === undefined ? {} : { gcDelayMs }),
      ...(values.host === undefined ? {} : { host: values.host }),
      ...(values.user === undefined ? {} : { users: values.user }),
      ...(values.insecure ? { insecure: true } : {}),
      ...(values['http1-only'] ? { http2: false } : {}),
    };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const withParent = values['exit-with-parent'] === true;
  if (withParent && !isParentPipe(stdin)) {
    console.error(
      'kubekit-envtest: --exit-with-parent needs stdin to be a pipe from the parent process (spawn it with stdio[0] "pipe"), not a terminal or a file',
    );
    return 2;
  }
  // Listens from the start, so that a parent that dies while the server starts is not missed.
  let parentGone: Promise<void> | undefined;
  try {
    parentGone = withParent ? whenParentGone(stdin, parentWatch) : undefined;
  } catch (error) {
    if (!EnvtestError.is(error, 'invalidOptions')) throw error;
    console.error(`kubekit-envtest: --exit-with-parent: ${error.message}`);
    return 2;
  }
  try {
    const env = await startEnvtest(options);
    const ownFile = values['kubeconfig-out'] === undefined;
    const kubeconfig =
      values['kubeconfig-out'] ?? join(tmpdir(), `kubekit-envtest-${process.pid}.kubeconfig`);
    await env.writeKubeconfig(kubeconfig);
    console.log(JSON.stringify({ url: env.url, kubeconfig }));
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        signals.off('SIGTERM', stop);
        signals.off('SIGINT', stop);
        resolve();
      };
      signals.on('SIGTERM', stop);
      signals.on('SIGINT', stop);
      void parentGone?.then(stop);
    });
    await env.stop();
    if (ownFile) await rm(kubeconfig, { force: true });
    return 0;
  } finally {
    // Stops reading stdin, so that it does not keep the process alive after a signal or a failed start.
    if (withParent) stdin.destroy();
  }
}
