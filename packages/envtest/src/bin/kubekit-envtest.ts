#!/usr/bin/env node
// The `kubekit-envtest` bin. It checks the Node version before it loads anything that an older
// Node could fail on, then runs the CLI.
import { nodeVersionProblem, requiredNodeVersion } from '../node-version.js';

const problem = nodeVersionProblem(
  'kubekit-envtest',
  process.versions.node,
  requiredNodeVersion(new URL('../../package.json', import.meta.url)),
);
if (problem !== undefined) {
  console.error(problem);
  process.exitCode = 1;
} else {
  import('../cli.js')
    .then(({ main }) => main(process.argv.slice(2)))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error: unknown) => {
        console.error(error instanceof Error ? error.message : String(error));
        process.exitCode = 1;
      },
    );
}
