#!/usr/bin/env node
// kubekit-elect: leader election as a sidecar or wrapper for any program. See `kubekit-elect --help`.
import { LeaderElectionError } from './leader-election-error.js';
import { createCliElector } from './cli/create-cli-elector.js';
import { electUsage, parseElectCliArgs } from './cli/elect-cli-options.js';
import { runElectCli } from './cli/elect-cli.js';
import { probeCommandSupervision } from './cli/command-supervision.js';

async function main(): Promise<number> {
  let options;
  try {
    options = parseElectCliArgs(process.argv.slice(2));
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

process.exitCode = await main();
