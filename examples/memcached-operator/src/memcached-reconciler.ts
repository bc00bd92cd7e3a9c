import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Condition } from 'kubernetes-types/meta/v1.js';
import type { ObjectClient } from '@kubekit/client';
import type { Term } from '@kubekit/leaderelection';
import {
  addFinalizer,
  isBeingDeleted,
  removeFinalizer,
  setControllerReference,
  setStatusCondition,
  TerminalError,
  type Cache,
  type ConditionInput,
  type Reconciler,
  type Request,
  type Result,
} from '@kubekit/reconcile';
import {
  defaultSize,
  maxSize,
  memcachedApiVersion,
  memcachedFinalizer,
  memcachedImage,
  memcachedKind,
  minSize,
  type Memcached,
} from './memcached.js';
import { OperatorError } from './operator-error.js';
import { silentObserver, type ReconcileObserver, type ReconcileOutcome } from './reconcile-observer.js';
import type { TermSource } from './leader-terms.js';

/** Options of {@link MemcachedReconciler}. */
export interface MemcachedReconcilerOptions {
  /**
   * Reconcile each Memcached again this long after a successful pass even when nothing changed
   * (ms). Default: never (changes arrive through the informers).
   */
  readonly resyncMs?: number;
  /**
   * A write is attempted only while at least this much of the term is left (ms), and is given at
   * most what is left as its timeout. Default 50.
   */
  readonly minTermLeftMs?: number;
}

/** The condition the operator keeps on every Memcached. */
export const availableCondition = 'Available';

const memcachedRef = { apiVersion: memcachedApiVersion, kind: memcachedKind } as const;
const deploymentRef = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;

/**
 * Brings one Memcached in line with its spec: a finalizer on it, a Deployment of `spec.size`
 * replicas that it controls (owner reference with `controller: true`, so the garbage collector
 * removes it with the Memcached), and an `Available` condition saying what it observes of that
 * Deployment, with `observedGeneration`.
 *
 * It reads from the shared cache (`cache` must have informers for Memcacheds and Deployments, as
 * the controller's `for` and `owns` register them) and writes through `client`. Every write is
 * fenced by the leader's term (from `terms`): it is attempted only while `term.isValid()` with at
 * least `minTermLeftMs` left, and its timeout never reaches past the term; with no term at all
 * (this replica does not lead) nothing is written. A refused write is an `OperatorError` `fenced`
 * (retried, in the next term if need be). `observer` is told when each reconcile begins and ends.
 */
export class MemcachedReconciler implements Reconciler {
  private readonly resyncMs: number | undefined;
  private readonly minTermLeftMs: number;

  constructor(
    private readonly cache: Cache,
    private readonly client: ObjectClient,
    private readonly terms: TermSource,
    options: MemcachedReconcilerOptions = {},
    private readonly observer: ReconcileObserver = silentObserver,
  ) {
    this.resyncMs = options.resyncMs;
    this.minTermLeftMs = options.minTermLeftMs ?? 50;
  }

  async reconcile(request: Request, signal: AbortSignal): Promise<Result> {
    const term = this.terms.current();
    this.observer.begin(request, term);
    try {
      const result = await this.reconcileIn(term, request, signal);
      this.observer.end(request, 'ok');
      return result;
    } catch (error) {
      let outcome: ReconcileOutcome = 'error';
      if (signal.aborted) outcome = 'aborted';
      else if (TerminalError.is(error)) outcome = 'terminal';
      else if (OperatorError.is(error, 'fenced')) outcome = 'fenced';
      this.observer.end(request, outcome, error);
      throw error;
    }
  }

  private async reconcileIn(term: Term | undefined, request: Request, signal: AbortSignal): Promise<Result> {
    const cached = this.cache.get<Memcached>({ ...memcachedRef, ...request });
    if (cached === undefined) return {}; // gone: its Deployment goes with it (garbage collection)
    // Cached objects are shared (and list items carry no kind): work on a copy with its kind.
    let memcached: Memcached = { ...structuredClone(cached), ...memcachedRef };

    if (isBeingDeleted(memcached)) {
      // Nothing outside the cluster to clean up: the Deployment is garbage-collected through its
      // owner reference. The finalizer shows where such clean-up would go.
      if (removeFinalizer(memcached, memcachedFinalizer)) {
        await this.write(term, signal, (options) => this.client.update(memcached, options));
      }
      return {};
    }

    if (addFinalizer(memcached, memcachedFinalizer)) {
      const updated = await this.write(term, signal, (options) => this.client.update(memcached, options));
      memcached = { ...updated, ...memcachedRef };
    }

    const size = memcached.spec?.size ?? defaultSize;
    if (!Number.isInteger(size) || size < minSize || size > maxSize) {
      await this.setCondition(memcached, term, signal, {
        status: 'False',
        reason: 'InvalidSize',
        message: `spec.size must be an integer from ${String(minSize)} to ${String(maxSize)}, not ${JSON.stringify(size)}`,
      });
      throw new TerminalError(`memcached ${request.namespace}/${request.name}: invalid spec.size`);
    }

    const deployment = await this.ensureDeployment(memcached, size, term, signal);
    if (deployment === undefined) {
      await this.setCondition(memcached, term, signal, {
        status: 'False',
        reason: 'DeploymentNotOwned',
        message: `Deployment ${request.name} exists and is not controlled by this Memcached: rename or delete it`,
      });
      throw new TerminalError(`memcached ${request.namespace}/${request.name}: Deployment not owned`);
    }
    const available = deployment.status?.availableReplicas ?? 0;
    await this.setCondition(memcached, term, signal, {
      status: available >= size ? 'True' : 'False',
      reason: available >= size ? 'DeploymentAvailable' : 'DeploymentUnavailable',
      message: `${String(available)}/${String(size)} replicas available`,
    });
    return this.resyncMs === undefined ? {} : { requeueAfter: this.resyncMs };
  }

  /** The Deployment as it should be (created or updated); `undefined` when one exists that is not ours. */
  private async ensureDeployment(
    memcached: Memcached,
    size: number,
    term: Term | undefined,
    signal: AbortSignal,
  ): Promise<Deployment | undefined> {
    const name = memcached.metadata?.name ?? '';
    const namespace = memcached.metadata?.namespace ?? '';
    const existing = this.cache.get<Deployment>({ ...deploymentRef, namespace, name });
    const desired = desiredDeployment(memcached, size);
    if (existing === undefined) {
      // When the cache has not seen a Deployment created a moment ago, this is AlreadyExists:
      // the reconcile is retried (a few ms later) and finds it cached.
      return this.write(term, signal, (options) => this.client.create(desired, options));
    }
    const controller = existing.metadata?.ownerReferences?.find((o) => o.controller === true);
    if (controller?.uid !== memcached.metadata?.uid) return undefined;
    const container = existing.spec?.template.spec?.containers[0];
    if (existing.spec?.replicas === size && container?.image === memcachedImage) return existing;
    const update: Deployment = {
      ...structuredClone(existing),
      ...deploymentRef,
      spec: { ...existing.spec, replicas: size, template: desired.spec?.template ?? { metadata: {} } },
    } as Deployment;
    return this.write(term, signal, (options) => this.client.update(update, options));
  }

  /** Writes the `Available` condition when it differs from what is there (conditional update). */
  private async setCondition(
    memcached: Memcached,
    term: Term | undefined,
    signal: AbortSignal,
    wanted: Omit<ConditionInput, 'type' | 'observedGeneration'>,
  ): Promise<void> {
    const generation = memcached.metadata?.generation;
    const conditions: Condition[] = structuredClone(memcached.status?.conditions ?? []);
    const changed = setStatusCondition(conditions, {
      type: availableCondition,
      ...wanted,
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    });
    if (!changed) return;
    const status = { ...memcached.status, conditions };
    await this.write(term, signal, (options) => this.client.updateStatus({ ...memcached, status }, options));
  }

  /** Runs one write if the term allows it, with a timeout that ends with the term. */
  private async write<T>(
    term: Term | undefined,
    signal: AbortSignal,
    send: (options: { signal: AbortSignal; timeoutMs: number }) => Promise<T>,
  ): Promise<T> {
    if (term === undefined) {
      throw new OperatorError('fenced', 'this replica does not lead: write not attempted');
    }
    const left = term.remainingMs();
    if (!term.isValid() || left < this.minTermLeftMs) {
      throw new OperatorError(
        'fenced',
        `term ${String(term.epoch)} of ${term.identity} has ${left.toFixed(0)} ms left: write not attempted`,
      );
    }
    return send({ signal, timeoutMs: Math.floor(left) });
  }
}

/** The Deployment a Memcached of `size` replicas asks for, controlled by it. */
export function desiredDeployment(memcached: Memcached, size: number): Deployment {
  const name = memcached.metadata?.name ?? '';
  const labels = { 'app.kubernetes.io/name': 'memcached', 'app.kubernetes.io/instance': name };
  const deployment: Deployment = {
    ...deploymentRef,
    metadata: { name, namespace: memcached.metadata?.namespace ?? '', labels },
    spec: {
      replicas: size,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'memcached',
              image: memcachedImage,
              args: ['-m=64', '-o', 'modern'],
              ports: [{ name: 'memcached', containerPort: 11211 }],
            },
          ],
        },
      },
    },
  };
  setControllerReference({ ...memcached, ...memcachedRef }, deployment);
  return deployment;
}
