import type { Term } from '@kubekit/leaderelection';
import type { Request } from '@kubekit/reconcile';

/** How one reconcile ended. */
export type ReconcileOutcome = 'ok' | 'error' | 'terminal' | 'fenced' | 'aborted';

/** Told of every reconcile: when it begins and when it ends (e.g. `ReconcileLog`). */
export interface ReconcileObserver {
  begin(request: Request, term: Term | undefined): void;
  end(request: Request, outcome: ReconcileOutcome, error?: unknown): void;
}

/** An observer that records nothing. */
export const silentObserver: ReconcileObserver = { begin: () => undefined, end: () => undefined };
