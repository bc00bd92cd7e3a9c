export type { EnvtestErrorKind } from './envtest-error.js';
export { EnvtestError } from './envtest-error.js';
