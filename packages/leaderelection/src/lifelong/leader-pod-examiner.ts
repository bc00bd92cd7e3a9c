import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import {
  statusCodeOf,
  type LifelongApi,
  type LockInfo,
  type NodeInfo,
  type PodInfo,
} from './lifelong-api.js';
import type { LifelongRequests } from './lifelong-requests.js';

/** What {@link LeaderPodExaminer} needs. */
export interface LeaderPodExaminerOptions {
  readonly api: LifelongApi;
  readonly clock: Clock;
  readonly requests: LifelongRequests;
  readonly logger: Logger;
  readonly namespace: string;
  readonly lockName: string;
  readonly lockDescription: string;
  /** See `LeaderForLifeOptions.forceTakeoverOnNotReadyNode`. */
  readonly forceTakeoverOnNotReadyNode: boolean;
  /** See `LeaderForLifeOptions.notReadyGracePeriod` (ms, ≥ 0). */
  readonly notReadyGracePeriod: number;
}

/**
 * What an examination found: the lock was deleted (the follower may create its own now), or not,
 * with the time within which to look again (when a forced takeover's grace period ends sooner than
 * the next backoff step).
 */
export type Examination =
  { readonly lockDeleted: true } | { readonly lockDeleted: false; readonly recheckWithin?: number };

const WAIT: Examination = { lockDeleted: false };

/**
 * A follower's look at the Pod that owns the lock (the takeover policy of leader-for-life). Every
 * delete carries a UID precondition, so that only the object examined can be deleted:
 * - **Owner gone** (no Pod of that name, or one with another UID): the lock's owner reference
 *   dangles, and the garbage collector would delete the lock. It deletes the lock itself, at once.
 * - **Owner in a terminal phase** (`Failed` for any reason, or `Succeeded`): no container of it runs
 *   or will run again. It deletes the Pod (the API server removes a terminal Pod at once), and the
 *   garbage collector (or the next examination: owner gone) frees the lock.
 * - **Owner on a Node that is not Ready**, only with `forceTakeoverOnNotReadyNode`: once this
 *   follower has seen the Node not Ready (or gone) for `notReadyGracePeriod` (every reading not
 *   Ready, with the same `lastTransitionTime`, measured on its monotonic clock from the first such
 *   reading), it deletes the Pod and the lock.
 * - Anything else (a Running or Pending owner, a lock not owned by a Pod): it waits.
 *
 * One examiner serves one follower; it remembers the not-Ready readings between examinations.
 */
export class LeaderPodExaminer {
  /** The not-Ready reading the grace period counts from: which Pod, Node and condition, and when. */
  private notReady: { readonly key: string; readonly since: number } | undefined;

  constructor(private readonly options: LeaderPodExaminerOptions) {}

  /** Looks at the lock's owner and acts as the class comment says; throws typed API errors. */
  async examine(lock: LockInfo): Promise<Examination> {
    const owner = lock.owner;
    if (owner === undefined) return WAIT; // not a Pod-owned lock: only its deletion frees it
    const { api, namespace, requests } = this.options;
    let pod: PodInfo | undefined;
    try {
      pod = await requests.request((bounded) => api.getPod(namespace, owner.name, bounded));
    } catch (error) {
      if (statusCodeOf(error) !== 404) throw requests.wrap(error, 'get', 'pods', owner.name);
    }
    if (pod?.uid !== owner.uid) {
      this.options.logger.info(
        { lock: this.options.lockDescription, owner: owner.name, ownerUid: owner.uid },
        `${this.options.lockDescription}: its owner, pod ${namespace}/${owner.name} (UID ${owner.uid}), no longer ` +
          'exists: deleting the lock as the garbage collector would',
      );
      await this.deleteWithUid('configmaps', this.options.lockName, lock.uid);
      return { lockDeleted: true };
    }
    if (pod.phase === 'Failed' || pod.phase === 'Succeeded') {
      // Deleted once is enough: then the garbage collector frees the lock when the Pod is gone.
      if (!pod.terminating) await this.deleteWithUid('pods', pod.name, pod.uid);
      return WAIT;
    }
    if (!this.options.forceTakeoverOnNotReadyNode || pod.nodeName === undefined) return WAIT;
    return this.examineNode(lock, pod, pod.nodeName);
  }

  private async examineNode(lock: LockInfo, pod: PodInfo, nodeName: string): Promise<Examination> {
    const { clock, notReadyGracePeriod } = this.options;
    const node = await this.readNode(nodeName);
    if (node?.ready === 'True') {
      this.notReady = undefined;
      return WAIT;
    }
    const condition =
      node === undefined ? '(no node)' : `${node.ready} since ${node.readySince ?? '(unknown)'}`;
    const key = `${pod.uid} ${nodeName} ${condition}`;
    const now = clock.now();
    if (this.notReady?.key !== key) this.notReady = { key, since: now };
    const left = this.notReady.since + notReadyGracePeriod - now;
    if (left > 0) return { lockDeleted: false, recheckWithin: left };
    this.options.logger.warn(
      { lock: this.options.lockDescription, leader: pod.name, node: nodeName },
      `${this.options.lockDescription}: node ${nodeName} of leader pod ${pod.name} has not been Ready for ` +
        `${notReadyGracePeriod} ms: forced takeover (deleting the pod and the lock)`,
    );
    await this.deleteWithUid('pods', pod.name, pod.uid);
    await this.deleteWithUid('configmaps', this.options.lockName, lock.uid);
    this.notReady = undefined;
    return { lockDeleted: true };
  }

  /** Reads the Node; `undefined` when it does not exist. */
  private async readNode(name: string): Promise<NodeInfo | undefined> {
    const { api, requests } = this.options;
    try {
      return await requests.request((bounded) => api.getNode(name, bounded));
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw requests.wrap(error, 'get', 'nodes', name);
    }
  }

  /** Deletes with a UID precondition; "already gone" and "now another object" are both fine. */
  private async deleteWithUid(resource: 'pods' | 'configmaps', name: string, uid: string): Promise<void> {
    const { api, namespace, requests } = this.options;
    try {
      await requests.request((bounded) =>
        resource === 'pods'
          ? api.deletePod(namespace, name, uid, bounded)
          : api.deleteConfigMap(namespace, name, uid, bounded),
      );
    } catch (error) {
      const code = statusCodeOf(error);
      if (code !== 404 && code !== 409) throw requests.wrap(error, 'delete', resource, name);
    }
  }
}
