#!/usr/bin/env node
// kubekit-elect: leader election as a sidecar or wrapper for any program. See `kubekit-elect --help`.
// The bin checks the Node version before it loads anything that an older Node could fail on
// (undici, the HTTP stack, needs a recent one), then runs the CLI.
import { nodeVersionProblem } from './cli/node-version.js';

const problem = nodeVersionProblem(
  'kubekit-elect',
  process.versions.node,
  new URL('../package.json', import.meta.url),
);
if (problem !== undefined) {
  console.error(problem);
  process.exitCode = 1;
} else {
  const { main } = await import('./cli/main.js');
  process.exitCode = await main(process.argv.slice(2));
}
