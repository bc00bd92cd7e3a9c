import type {
  LifelongApi,
  LockEvent,
  LockInfo,
  NodeInfo,
  PodInfo,
  PodOwner,
} from '#lib/lifelong/lifelong-api.js';

type Method = keyof LifelongApi;

interface FakePod {
  name: string;
  uid: string;
  phase: string;
  reason: string | undefined;
  nodeName: string | undefined;
  terminating: boolean;
}

interface Watcher {
  onEvent: (name: string, event: LockEvent) => void;
  end: (error?: Error) => void;
}

let uids = 0;

export function apiError(code: number, message = `status ${code}`): Error & { code: number } {
  return Object.assign(new Error(message), { code });
}

/**
 * An in-memory stand-in for the few API calls of leader-for-life, with a garbage collector (run by
 * `setTimeout`, so fake timers drive it), two-phase Pod deletion on not-Ready nodes, call records,
 * and injectable failures.
 */
export class FakeLifelongApi implements LifelongApi {
  readonly pods = new Map<string, FakePod>();
  readonly nodes = new Map<string, NodeInfo>();
  readonly locks = new Map<string, LockInfo>();
  readonly calls: { method: Method; name: string; uid?: string }[] = [];
  /** Methods whose calls get no answer (until their signal aborts), with how many more to hang. */
  private readonly hangs = new Map<Method, number>();
  /** Failures by method: each call takes the first; a rule with `times` undefined stays. */
  private readonly failures = new Map<Method, { code: number; times: number | undefined }>();
  private readonly watchers = new Set<Watcher>();
  private readonly history: { rv: number; name: string; event: LockEvent }[] = [];
  private rv = 0;
  gcDelayMs = 0;

  constructor(readonly namespace = 'ns') {}

  addPod(name: string, init: Partial<Omit<FakePod, 'name'>> = {}): FakePod {
    const pod: FakePod = {
      name,
      uid: init.uid ?? `pod-uid-${++uids}`,
      phase: init.phase ?? 'Running',
      reason: init.reason,
      nodeName: init.nodeName ?? 'node-1',
      terminating: false,
    };
    this.pods.set(name, pod);
    return pod;
  }

  /**
   * Adds Pod `name` (with `init`) and the lock `lock` owned by it (with `annotations`): a leader
   * elected before the test. Returns the Pod.
   */
  addLeaderPod(
    name: string,
    init: Partial<Omit<FakePod, 'name'>> = {},
    annotations: Record<string, string> = {},
  ): FakePod {
    const pod = this.addPod(name, init);
    this.putLock('lock', { name, uid: pod.uid }, annotations);
    return pod;
  }

  /** Removes a Pod from storage (kubelet confirmed) and lets the garbage collector run. */
  removePod(name: string): void {
    this.pods.delete(name);
    this.scheduleGc();
  }

  fail(method: Method, code: number, times?: number): void {
    this.failures.set(method, { code, times });
  }

  clearFailures(): void {
    this.failures.clear();
    this.hangs.clear();
  }

  /** The next `times` calls of `method` get no answer until their signal aborts. */
  hang(method: Method, times = Infinity): void {
    this.hangs.set(method, times);
  }

  /** Waits like a request: a hung one rejects only when `signal` aborts. */
  private async answer(method: Method, signal: AbortSignal | undefined): Promise<void> {
    const left = this.hangs.get(method);
    if (left === undefined) {
      await Promise.resolve();
      return;
    }
    if (left <= 1) this.hangs.delete(method);
    else this.hangs.set(method, left - 1);
    await new Promise<never>((_, reject) => {
      if (signal === undefined) return;
      const onAbort = (): void => {
        reject(new Error('request aborted', { cause: signal.reason }));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  count(method: Method): number {
    return this.calls.filter((call) => call.method === method).length;
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  /** Ends every open watch as the server (or the watch's inactivity timeout) would. */
  closeWatches(error?: Error): void {
    for (const watcher of [...this.watchers]) watcher.end(error);
  }

  /** Puts a lock in storage directly (as another program would). */
  putLock(name: string, owner: PodOwner | undefined, annotations: Record<string, string> = {}): LockInfo {
    const existed = this.locks.has(name);
    const lock: LockInfo = {
      uid: `cm-uid-${++uids}`,
      resourceVersion: String(++this.rv),
      owner,
      annotations,
    };
    this.locks.set(name, lock);
    this.emit(name, { type: existed ? 'MODIFIED' : 'ADDED', lock });
    return lock;
  }

  /** Changes a lock's owner in place (same object UID), as an update by another program would. */
  setLockOwner(name: string, owner: PodOwner | undefined): void {
    const lock = this.locks.get(name);
    if (lock === undefined) return;
    const updated: LockInfo = { ...lock, owner, resourceVersion: String(++this.rv) };
    this.locks.set(name, updated);
    this.emit(name, { type: 'MODIFIED', lock: updated });
  }

  /** Deletes a lock directly (as an administrator would). */
  removeLock(name: string): void {
    const lock = this.locks.get(name);
    if (lock === undefined) return;
    this.locks.delete(name);
    this.emit(name, { type: 'DELETED', lock: { ...lock, resourceVersion: String(++this.rv) } });
  }

  private check(method: Method, name: string, uid?: string): void {
    const error = this.record(method, name, uid);
    if (error !== undefined) throw error;
  }

  /** Records a call; returns the error it must fail with, if any. */
  private record(method: Method, name: string, uid?: string): Error | undefined {
    this.calls.push(uid === undefined ? { method, name } : { method, name, uid });
    const failure = this.failures.get(method);
    if (failure === undefined) return undefined;
    if (failure.times !== undefined) {
      failure.times -= 1;
      if (failure.times <= 0) this.failures.delete(method);
    }
    return apiError(failure.code);
  }

  private emit(name: string, event: LockEvent): void {
    this.history.push({ rv: this.rv, name, event });
    for (const watcher of [...this.watchers]) watcher.onEvent(name, event);
  }

  private scheduleGc(): void {
    setTimeout(() => {
      const live = new Set([...this.pods.values()].map((pod) => pod.uid));
      for (const [name, lock] of this.locks) {
        if (lock.owner !== undefined && !live.has(lock.owner.uid)) this.removeLock(name);
      }
    }, this.gcDelayMs);
  }

  async getPod(_namespace: string, name: string, signal?: AbortSignal): Promise<PodInfo> {
    await this.answer('getPod', signal);
    this.check('getPod', name);
    const pod = this.pods.get(name);
    if (pod === undefined) throw apiError(404);
    return { ...pod };
  }

  async deletePod(_namespace: string, name: string, uid: string, signal?: AbortSignal): Promise<void> {
    await this.answer('deletePod', signal);
    this.check('deletePod', name, uid);
    const pod = this.pods.get(name);
    if (pod === undefined) throw apiError(404);
    if (pod.uid !== uid) throw apiError(409, 'precondition failed: UID');
    const node = pod.nodeName === undefined ? undefined : this.nodes.get(pod.nodeName);
    const nodeReady = node === undefined || node.ready === 'True';
    if (pod.phase === 'Failed' || pod.phase === 'Succeeded' || nodeReady) this.removePod(name);
    else pod.terminating = true;
  }

  async getNode(name: string, signal?: AbortSignal): Promise<NodeInfo> {
    await this.answer('getNode', signal);
    this.check('getNode', name);
    const node = this.nodes.get(name);
    if (node === undefined) throw apiError(404);
    return node;
  }

  async getConfigMap(_namespace: string, name: string, signal?: AbortSignal): Promise<LockInfo> {
    await this.answer('getConfigMap', signal);
    this.check('getConfigMap', name);
    const lock = this.locks.get(name);
    if (lock === undefined) throw apiError(404);
    return lock;
  }

  async createConfigMap(
    _namespace: string,
    name: string,
    owner: PodOwner,
    annotations: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<LockInfo> {
    await this.answer('createConfigMap', signal);
    this.check('createConfigMap', name, owner.uid);
    if (this.locks.has(name)) throw apiError(409, 'AlreadyExists');
    const lock = this.putLock(name, owner, annotations);
    if (![...this.pods.values()].some((pod) => pod.uid === owner.uid)) this.scheduleGc();
    return lock;
  }

  async deleteConfigMap(_namespace: string, name: string, uid: string, signal?: AbortSignal): Promise<void> {
    await this.answer('deleteConfigMap', signal);
    this.check('deleteConfigMap', name, uid);
    const lock = this.locks.get(name);
    if (lock === undefined) throw apiError(404);
    if (lock.uid !== uid) throw apiError(409, 'precondition failed: UID');
    this.removeLock(name);
  }

  watchConfigMap(
    _namespace: string,
    name: string,
    resourceVersion: string | undefined,
    onEvent: (event: LockEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const failure = this.record('watchConfigMap', name);
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      const watcher: Watcher = {
        onEvent: (eventName, event) => {
          if (eventName === name) onEvent(event);
        },
        end: (error) => {
          this.watchers.delete(watcher);
          signal.removeEventListener('abort', onAbort);
          if (error === undefined) resolve();
          else reject(error);
        },
      };
      const onAbort = (): void => {
        watcher.end();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.watchers.add(watcher);
      if (resourceVersion === undefined) {
        const lock = this.locks.get(name);
        if (lock !== undefined) onEvent({ type: 'ADDED', lock });
      } else {
        const from = Number(resourceVersion);
        for (const entry of this.history) if (entry.rv > from && entry.name === name) onEvent(entry.event);
      }
    });
  }
}
