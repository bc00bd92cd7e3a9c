// `node --import @kubekit/envtest/exit-with-parent script.js`: the script stops (SIGTERM, then an
// exit after a grace time) when the process that spawned it dies, however it dies. The spawner
// passes a pipe as stdin (stdio[0] 'pipe') and never writes to it. See exitWithParent.
// Without a pipe on stdin (or with a bad KUBEKIT_EXIT_WITH_PARENT_GRACE_MS) the script still runs,
// without the lifeline, and says so on stderr.
import { EnvtestError } from '../envtest-error.js';
import { exitWithParent } from '../process/exit-with-parent.js';

try {
  exitWithParent();
} catch (error: unknown) {
  if (!EnvtestError.is(error, 'invalidOptions')) throw error;
  process.stderr.write(`@kubekit/envtest/exit-with-parent: not watching the parent: ${error.message}\n`);
}
