// kubekit-elect's process: arguments, signals and streams of this process around runElectCli.
// The bin (src/cli.ts) loads it once the Node version is known to be recent enough.
import { LeaderElectionError } from '../leader-election-error.js';
import { createCliElector } from './create-cli-elector.js';
import { electUsage, parseElectCliArgs } from './elect-cli-options.js';
import { runElectCli } from './elect-cli.js';
import { probeCommandSupervision } from './command-supervision.js';

/** Runs kubekit-elect with `argv` (without node and the script) in this process; resolves with its exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let options;
  try {
    options = parseElectCliArgs(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return LeaderElectionError.is(error, 'invalidConfig') ? 2 : 1;
  }
  if (options === 'help') {
    process.stdout.write(`${electUsage}\n`);
    return 0;
  }
  // Whoever reads our output may go away (EPIPE); the election and the command must go on.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const shutdown = new AbortController();
  const onSignal = (): void => {
    shutdown.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    return await runElectCli(options, {
      stdout: process.stdout,
      stderr: process.stderr,
      shutdown: shutdown.signal,
      ...(options.command.length === 0 ? {} : { supervision: probeCommandSupervision(process.env) }),
      createElector: (parsed, onError) =>
        Promise.resolve().then(() => createCliElector(parsed, onError, { env: process.env })),
    });
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
