// `node --import @kubekit/envtest/exit-with-parent script.js`: the script stops (SIGTERM, then an
// exit after a grace time) when the process that spawned it dies, however it dies. The spawner
// passes a pipe as stdin (stdio[0] 'pipe') and never writes to it. See exitWithParent.
import { exitWithParent } from '../process/exit-with-parent.js';

exitWithParent();
