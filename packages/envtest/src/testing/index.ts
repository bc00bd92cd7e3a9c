export type { TestEnvtest, UseEnvtestOptions } from './use-envtest.js';
export { useEnvtest } from './use-envtest.js';
export { processRunning, waitForProcessExit } from './process-running.js';
