export type { Reconciler, Request, Result } from './reconciler.js';
export { requestKey } from './reconciler.js';
export { TerminalError } from './terminal-error.js';
