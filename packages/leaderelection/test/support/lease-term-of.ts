import { LeaseTerm } from '#lib/term/lease-term.js';
import type { Term } from '@kubekit/leaderelection';

/** The `LeaseTerm` behind a `Term` of a lease elector (throws for any other). */
export function leaseTermOf(term: Term | undefined): LeaseTerm {
  if (term instanceof LeaseTerm) return term;
  throw new Error('expected a LeaseTerm');
}
