import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Condition, OwnerReference } from 'kubernetes-types/meta/v1.js';
import { isNotFound, type ObjectClient, type ObjectRef } from '@kubekit/client';
import type { Term } from '@kubekit/leaderelection';
import { TerminalError, type Reconciler, type Request, type Result } from '@kubekit/reconcile';
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

/** Options of {@link MemcachedReconciler}. */
export interface MemcachedReconcilerOptions {
  /**
   * Reconcile each Memcached again this long after a successful pass even when nothing changed
   * (ms). Default: never (changes arrive through the watches).
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

/**
 * Brings one Memcached in line with its spec: a finalizer on it, a Deployment of `spec.size`
 * replicas that it controls (owner reference with `controller: true`, so the garbage collector
 * removes it with the Memcached), and an `Available` condition saying what it observes of that
 * Deployment, with `observedGeneration`.
 *
 * Every write is fenced by the leader's term: it is attempted only while `term.isValid()` with at
 * least `minTermLeftMs` left, and its timeout never reaches past the term. `term` is optional so
 * that the class satisfies `@kubekit/reconcile`'s `Reconciler` (without leader election nothing
 * needs fencing); a controller that knows the term passes it.
 */
export class MemcachedReconciler implements Reconciler {
  private readonly resyncMs: number | undefined;
  private readonly minTermLeftMs: number;

  constructor(
    private readonly client: ObjectClient,
    options: MemcachedReconcilerOptions = {},
  ) {
    this.resyncMs = options.resyncMs;
    this.minTermLeftMs = options.minTermLeftMs ?? 50;
  }

  async reconcile(request: Request, signal: AbortSignal, term?: Term): Promise<Result> {
    const ref: ObjectRef = {
      apiVersion: memcachedApiVersion,
      kind: memcachedKind,
      namespace: request.namespace,
      name: request.name,
    };
    let memcached: Memcached;
    try {
      memcached = await this.client.get<Memcached>(ref, { signal });
    } catch (error) {
      if (isNotFound(error)) return {}; // gone: its Deployment goes with it (garbage collection)
      throw error;
    }
    const finalizers = memcached.metadata?.finalizers ?? [];

    if (memcached.metadata?.deletionTimestamp !== undefined) {
      // Nothing outside the cluster to clean up: the Deployment is garbage-collected through its
      // owner reference. The finalizer shows where such clean-up would go.
      if (finalizers.includes(memcachedFinalizer)) {
        const without = finalizers.filter((f) => f !== memcachedFinalizer);
        await this.write(term, signal, (options) =>
          this.client.update(
            { ...memcached, metadata: { ...memcached.metadata, finalizers: without } },
            options,
          ),
        );
      }
      return {};
    }

    if (!finalizers.includes(memcachedFinalizer)) {
      memcached = await this.write(term, signal, (options) =>
        this.client.update<Memcached>(
          {
            ...memcached,
            metadata: { ...memcached.metadata, finalizers: [...finalizers, memcachedFinalizer] },
          },
          options,
        ),
      );
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
    const ref: ObjectRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name };
    let existing: Deployment | undefined;
    try {
      existing = await this.client.get<Deployment>(ref, { signal });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (existing === undefined) {
      return this.write(term, signal, (options) =>
        this.client.create(desiredDeployment(memcached, size), options),
      );
    }
    const controller = existing.metadata?.ownerReferences?.find((o) => o.controller === true);
    if (controller?.uid !== memcached.metadata?.uid) return undefined;
    const container = existing.spec?.template.spec?.containers[0];
    if (existing.spec?.replicas === size && container?.image === memcachedImage) return existing;
    const desired = desiredDeployment(memcached, size);
    return this.write(term, signal, (options) =>
      this.client.update<Deployment>(
        {
          ...existing,
          spec: { ...existing.spec, replicas: size, template: desired.spec?.template ?? { metadata: {} } },
        } as Deployment,
        options,
      ),
    );
  }

  /** Writes the `Available` condition when it differs from what is there (conditional update). */
  private async setCondition(
    memcached: Memcached,
    term: Term | undefined,
    signal: AbortSignal,
    wanted: Pick<Condition, 'status' | 'reason' | 'message'>,
  ): Promise<void> {
    const generation = memcached.metadata?.generation;
    const conditions = memcached.status?.conditions ?? [];
    const current = conditions.find((c) => c.type === availableCondition);
    if (
      current?.status === wanted.status &&
      current.reason === wanted.reason &&
      current.message === wanted.message &&
      current.observedGeneration === generation
    )
      return;
    const condition: Condition = {
      type: availableCondition,
      ...wanted,
      lastTransitionTime:
        current?.status === wanted.status
          ? current.lastTransitionTime
          : new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    };
    const status = {
      ...memcached.status,
      conditions: [...conditions.filter((c) => c.type !== availableCondition), condition],
    };
    await this.write(term, signal, (options) => this.client.updateStatus({ ...memcached, status }, options));
  }

  /** Runs one write if the term allows it, with a timeout that ends with the term. */
  private async write<T>(
    term: Term | undefined,
    signal: AbortSignal,
    send: (options: { signal: AbortSignal; timeoutMs?: number }) => Promise<T>,
  ): Promise<T> {
    if (term === undefined) return send({ signal });
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
  const owner: OwnerReference = {
    apiVersion: memcachedApiVersion,
    kind: memcachedKind,
    name,
    uid: memcached.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: memcached.metadata?.namespace ?? '', labels, ownerReferences: [owner] },
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
}
