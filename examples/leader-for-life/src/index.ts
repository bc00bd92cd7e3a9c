export type { StamperOptions } from './stamper.js';
export { createStamper } from './stamper.js';
export { StampReconciler, stampedByAnnotation, stampLabel } from './stamp-reconciler.js';
