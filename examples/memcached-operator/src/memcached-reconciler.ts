import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Condition } from 'kubernetes-types/meta/v1.js';
import { isAlreadyExists, isConflict } from '@kubekit/client';
import type { Term } from '@kubekit/leaderelection';
import {
  addFinalizer,
  fencedClient,
  isBeingDeleted,
  ReconcileError,
  removeFinalizer,
  setControllerReference,
  setStatusCondition,
  TerminalError,
  type CachedClient,
  type ConditionInput,
  type EventRecorder,
  type EventType,
  type ReconcileContext,
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
import { silentObserver, type ReconcileObserver, type ReconcileOutcome } from './reconcile-observer.js';

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
 * It reads and writes through the manager's cached client (`client`: reads from the shared cache,
 * whose informers for Memcacheds and Deployments the controller's `for` and `owns` register, and
 * reads its own writes, so a reconcile right after a write acts on that write, not on the version
 * before it). Every write is fenced by the term the reconcile runs in (`context.term`), through
 * `fencedClient`: it is sent only while `term.isValid()` with at least `minTermLeftMs` left, aborts
 * with the reconcile's signal, and its timeout never reaches past the term; with no term at all
 * nothing is written. A refused write is a `ReconcileError` `fenced` (retried, in the next term if
 * need be).
 *
 * It records Events about the Memcached through `events` (`DeploymentCreated`, `ScaledDeployment`,
 * `UpdatedDeployment`; Warnings `InvalidSize`, `DeploymentNotOwned`, `ReconcileFailed`). Events are
 * informational: they are not fenced, and a recorder that throws does not fail the reconcile.
 * `observer` is told when each reconcile begins and ends.
 */
export class MemcachedReconciler implements Reconciler {
  private readonly resyncMs: number | undefined;
  private readonly minTermLeftMs: number;

  constructor(
    private readonly client: CachedClient,
    private readonly events: EventRecorder,
    options: MemcachedReconcilerOptions = {},
    private readonly observer: ReconcileObserver = silentObserver,
  ) {
    this.resyncMs = options.resyncMs;
    this.minTermLeftMs = options.minTermLeftMs ?? 50;
  }

  async reconcile(request: Request, signal: AbortSignal, context: ReconcileContext): Promise<Result> {
    const writes = fencedClient(this.client, context.term, { signal, minRemainingMs: this.minTermLeftMs });
    const pass: Pass = { request, term: context.term, signal, writes, memcached: undefined };
    this.observer.begin(request, pass.term);
    try {
      const result = await this.reconcileIn(pass);
      this.observer.end(request, 'ok');
      return result;
    } catch (error) {
      let outcome: ReconcileOutcome = 'error';
      if (signal.aborted) outcome = 'aborted';
      else if (TerminalError.is(error)) outcome = 'terminal';
      else if (ReconcileError.is(error, 'fenced')) outcome = 'fenced';
      // A conflict or AlreadyExists means someone else wrote meanwhile: the retry reads it. Other
      // failures are worth a Warning on the Memcached (a refused write, a cache that lags, …).
      if (outcome === 'error' && !isConflict(error) && !isAlreadyExists(error)) {
        const message = error instanceof Error ? error.message : String(error);
        this.record(pass, 'Warning', 'ReconcileFailed', `reconcile failed (retried): ${message}`);
      }
      this.observer.end(request, outcome, error);
      throw error;
    }
  }

  private async reconcileIn(pass: Pass): Promise<Result> {
    const { request, signal } = pass;
    const read = await this.client.get<Memcached>({ ...memcachedRef, ...request }, { signal });
    if (read === undefined) return {}; // gone: its Deployment goes with it (garbage collection)
    // List items carry no kind: put it back (the cached client's reads are copies, ours to change).
    let memcached: Memcached = { ...read, ...memcachedRef };
    pass.memcached = memcached;

    if (isBeingDeleted(memcached)) {
      // Nothing outside the cluster to clean up: the Deployment is garbage-collected through its
      // owner reference. The finalizer shows where such clean-up would go.
      if (removeFinalizer(memcached, memcachedFinalizer)) {
        await pass.writes.update(memcached);
      }
      return {};
    }

    if (addFinalizer(memcached, memcachedFinalizer)) {
      const updated = await pass.writes.update(memcached);
      memcached = { ...updated, ...memcachedRef };
      pass.memcached = memcached;
    }

    const size = memcached.spec?.size ?? defaultSize;
    if (!Number.isInteger(size) || size < minSize || size > maxSize) {
      const message = `spec.size must be an integer from ${String(minSize)} to ${String(maxSize)}, not ${JSON.stringify(size)}`;
      this.record(pass, 'Warning', 'InvalidSize', message);
      await this.setCondition(pass, memcached, { status: 'False', reason: 'InvalidSize', message });
      throw new TerminalError(`memcached ${request.namespace}/${request.name}: invalid spec.size`);
    }

    const deployment = await this.ensureDeployment(pass, memcached, size);
    if (deployment === undefined) {
      const message = `Deployment ${request.name} exists and is not controlled by this Memcached: rename or delete it`;
      this.record(pass, 'Warning', 'DeploymentNotOwned', message);
      await this.setCondition(pass, memcached, { status: 'False', reason: 'DeploymentNotOwned', message });
      throw new TerminalError(`memcached ${request.namespace}/${request.name}: Deployment not owned`);
    }
    const available = deployment.status?.availableReplicas ?? 0;
    await this.setCondition(pass, memcached, {
      status: available >= size ? 'True' : 'False',
      reason: available >= size ? 'DeploymentAvailable' : 'DeploymentUnavailable',
      message: `${String(available)}/${String(size)} replicas available`,
    });
    return this.resyncMs === undefined ? {} : { requeueAfter: this.resyncMs };
  }

  /** The Deployment as it should be (created or updated); `undefined` when one exists that is not ours. */
  private async ensureDeployment(
    pass: Pass,
    memcached: Memcached,
    size: number,
  ): Promise<Deployment | undefined> {
    const name = memcached.metadata?.name ?? '';
    const namespace = memcached.metadata?.namespace ?? '';
    const existing = await this.client.get<Deployment>(
      { ...deploymentRef, namespace, name },
      { signal: pass.signal },
    );
    const desired = desiredDeployment(memcached, size);
    if (existing === undefined) {
      // This client reads its own creates; one another replica made a moment ago (before this one
      // led) may not be cached yet: AlreadyExists, and the retry (a few ms later) finds it cached.
      const created = await pass.writes.create(desired);
      this.record(
        pass,
        'Normal',
        'DeploymentCreated',
        `created Deployment ${name} with ${String(size)} replicas`,
      );
      return created;
    }
    const controller = existing.metadata?.ownerReferences?.find((o) => o.controller === true);
    if (controller?.uid !== memcached.metadata?.uid) return undefined;
    const container = existing.spec?.template.spec?.containers[0];
    if (existing.spec?.replicas === size && container?.image === memcachedImage) return existing;
    const update: Deployment = {
      ...existing,
      ...deploymentRef,
      spec: { ...existing.spec, replicas: size, template: desired.spec?.template ?? { metadata: {} } },
    } as Deployment;
    const updated = await pass.writes.update(update);
    if (existing.spec?.replicas === size) {
      this.record(
        pass,
        'Normal',
        'UpdatedDeployment',
        `updated Deployment ${name} to image ${memcachedImage}`,
      );
    } else {
      const from = String(existing.spec?.replicas ?? 1);
      this.record(
        pass,
        'Normal',
        'ScaledDeployment',
        `scaled Deployment ${name} from ${from} to ${String(size)} replicas`,
      );
    }
    return updated;
  }

  /** Writes the `Available` condition when it differs from what is there (conditional update). */
  private async setCondition(
    pass: Pass,
    memcached: Memcached,
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
    await pass.writes.updateStatus({ ...memcached, status });
  }

  /** Records an Event about the Memcached (the one read, else its name); never throws into the reconcile. */
  private record(pass: Pass, type: EventType, reason: string, message: string): void {
    const regarding = pass.memcached ?? {
      ...memcachedRef,
      metadata: { namespace: pass.request.namespace, name: pass.request.name },
    };
    try {
      this.events.event(regarding, type, reason, message);
    } catch {
      // The recorder promises not to throw (it logs and drops bad input); should one throw, the
      // reconcile goes on: Events are informational.
    }
  }
}

/** One reconcile: what it was asked, the term and signal it runs under, the Memcached once read. */
interface Pass {
  readonly request: Request;
  readonly term: Term | undefined;
  readonly signal: AbortSignal;
  /** The cached client, its writes fenced by the term (see the class comment). */
  readonly writes: CachedClient;
  memcached: Memcached | undefined;
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
