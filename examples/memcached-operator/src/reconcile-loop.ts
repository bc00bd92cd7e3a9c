import type { KubeObject, ObjectClient, WatchEventType } from '@kubekit/client';
import type { Logger, Term } from '@kubekit/leaderelection';
import type {
  LeaderElectionRunnable,
  RestartableRunnable,
  Runnable,
  RunnableContext,
} from '@kubekit/manager';
import { requestKey, TerminalError, type Request, type Result } from '@kubekit/reconcile';
import { KeyQueue } from './key-queue.js';
import { listWatch } from './list-watch.js';
import { memcachedApiVersion, memcachedKind } from './memcached.js';
import { OperatorError } from './operator-error.js';

/** What {@link ReconcileLoop} runs: `MemcachedReconciler.reconcile`, or anything of that shape. */
export interface TermReconciler {
  reconcile(request: Request, signal: AbortSignal, term?: Term): Promise<Result>;
}

/** How one reconcile ended. */
export type ReconcileOutcome = 'ok' | 'error' | 'terminal' | 'fenced' | 'aborted';

/** Told of every reconcile: when it begins and when it ends (e.g. `ReconcileLog`). */
export interface ReconcileObserver {
  begin(request: Request, term: Term | undefined): void;
  end(request: Request, outcome: ReconcileOutcome, error?: unknown): void;
}

/**
 * **A stand-in controller, until `@kubekit/reconcile`'s controllers land.** A leader-gated,
 * restartable Runnable: in each term it lists and watches Memcacheds and Deployments (a
 * Deployment maps to the Memcached that controls it), feeds their keys into a deduplicating queue,
 * and one worker calls `reconciler.reconcile(request, signal, term)` for each, so a key is never
 * reconciled twice at once. `requeueAfter` re-adds a key later; an error re-adds it with backoff
 * (10 ms doubling to 30 s); a `TerminalError` drops it. All of it stops the instant the term ends.
 *
 * The reconciler does not depend on this class: hand it to the real controller builder unchanged
 * (`for(Memcached).owns(Deployment)`) and delete this file, `key-queue.ts` and `list-watch.ts`.
 */
export class ReconcileLoop implements Runnable, LeaderElectionRunnable, RestartableRunnable {
  constructor(
    private readonly client: ObjectClient,
    private readonly reconciler: TermReconciler,
    private readonly logger: Logger,
    private readonly observer?: ReconcileObserver,
  ) {}

  needLeaderElection(): boolean {
    return true;
  }

  restartable(): boolean {
    return true;
  }

  async start(signal: AbortSignal, context?: RunnableContext): Promise<void> {
    const term = context?.term;
    const queue = new KeyQueue(signal);
    const failures = new Map<string, number>();
    const onError = (error: unknown): void => {
      this.logger.warn({ err: error }, 'watch failed; retrying');
    };
    const enqueueOwner = (_type: WatchEventType, object: KubeObject): void => {
      const owner = object.metadata?.ownerReferences?.find(
        (o) => o.controller === true && o.apiVersion === memcachedApiVersion && o.kind === memcachedKind,
      );
      if (owner !== undefined) queue.add({ namespace: object.metadata?.namespace ?? '', name: owner.name });
    };
    const watches = [
      listWatch(
        this.client,
        { apiVersion: memcachedApiVersion, kind: memcachedKind },
        signal,
        (_type, object) => {
          queue.add({ namespace: object.metadata?.namespace ?? '', name: object.metadata?.name ?? '' });
        },
        onError,
      ),
      listWatch(this.client, { apiVersion: 'apps/v1', kind: 'Deployment' }, signal, enqueueOwner, onError),
    ];
    for (let request = await queue.next(); request !== undefined; request = await queue.next()) {
      const key = requestKey(request);
      this.observer?.begin(request, term);
      let outcome: ReconcileOutcome = 'ok';
      let failure: unknown;
      try {
        const result = await this.reconciler.reconcile(request, signal, term);
        failures.delete(key);
        if (result.requeueAfter !== undefined) queue.addAfter(request, result.requeueAfter);
      } catch (error) {
        failure = error;
        if (signal.aborted) outcome = 'aborted';
        else if (TerminalError.is(error)) {
          outcome = 'terminal';
          failures.delete(key);
        } else {
          outcome = OperatorError.is(error, 'fenced') ? 'fenced' : 'error';
          const count = (failures.get(key) ?? 0) + 1;
          failures.set(key, count);
          queue.addAfter(request, Math.min(10 * 2 ** (count - 1), 30_000));
        }
      }
      this.observer?.end(request, outcome, failure);
      if (outcome === 'error' || outcome === 'terminal')
        this.logger.warn({ err: failure, request: key, outcome }, 'reconcile failed');
    }
    await Promise.all(watches);
  }
}
