import { KubeConfig } from '@kubernetes/client-node';
import {
  quietLogger,
  systemClock,
  type Clock,
  type Elector,
  type Leadership,
  type Logger,
  type Term,
} from '@kubekit/leaderelection';
import { register as globalRegistry, type Registry } from 'prom-client';
import type { Observable } from 'rxjs';
import { isCacheRunnable } from './cache-runnable.js';
import { createElector } from './election/create-elector.js';
import type { HealthCheck } from './http/health-checks.js';
import { ManagerServers, type BoundPorts } from './http/manager-servers.js';
import { ManagerError } from './manager-error.js';
import type { LeadershipLostPolicy, ManagerOptions } from './manager-options.js';
import { ManagerMetrics } from './observability/manager-metrics.js';
import { RunnableGroup, type RunnableEntry } from './runnable-group.js';
import { canRestart, isRunnable, needsLeaderElection, type Runnable } from './runnable.js';
import { TermRunner } from './term-runner.js';

/** Where a manager is in its life: `start` moves it from `idle` on; it never goes back. */
export type ManagerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** Options of {@link Manager.add}. */
export interface AddOptions {
  /** Name for logs and errors. Default: the runnable's class name, or `runnable-<n>`. */
  readonly name?: string;
}

/** The group a runnable belongs to, in start order. */
type GroupName = 'caches' | 'others' | 'leaderGated';

const defaultShutdownTimeout = 30_000;

function nameOf(runnable: Runnable, index: number, given: string | undefined): string {
  if (given !== undefined) return given;
  const constructorName = (runnable as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof constructorName === 'string' && constructorName !== '' && constructorName !== 'Object')
    return `${constructorName}-${index}`;
  return `runnable-${index}`;
}

/**
 * Runs an operator's components (see the package README for the whole story). Runnables start in
 * groups, in order: the health-probe and metrics servers, caches (each must report synced before
 * the next group starts), runnables that run on every replica, then the campaign; leader-gated
 * runnables start the moment a term begins, under the term's signal, through
 * `term.runWhileLeading` (so the elector releases only after they have settled). On a loss they
 * are all aborted at once and awaited until shortly before another replica could lead. Shutdown
 * reverses the order.
 */
export class Manager {
  private stateValue: ManagerState = 'idle';
  private readonly logger: Logger;
  private readonly registry: Registry;
  private readonly clock: Clock;
  private readonly elector: Elector;
  private readonly policy: LeadershipLostPolicy;
  private readonly shutdownTimeout: number;
  private readonly metrics: ManagerMetrics;
  private readonly servers: ManagerServers;
  private kubeConfigValue: KubeConfig | undefined;
  private readonly entries: Record<GroupName, RunnableEntry[]> = { caches: [], others: [], leaderGated: [] };
  private added = 0;
  /** Groups whose start phase has passed: `add` starts a runnable of such a group at once. */
  private readonly startedGroups = new Set<GroupName>();
  private readonly groups: Record<'caches' | 'others', RunnableGroup>;
  private readonly controllers = { caches: new AbortController(), others: new AbortController() };
  /** Aborts when shutdown begins (its reason: the error that stops the manager, if any). */
  private readonly shutdown = new AbortController();
  private failure: ManagerError | undefined;
  /** Monotonic ms by which shutdown must be done; set when it begins. */
  private deadline = Infinity;
  private termRunner: TermRunner | undefined;

  constructor(options: ManagerOptions = {}) {
    this.logger = options.logger ?? quietLogger;
    this.registry = options.registry ?? globalRegistry;
    this.clock = options.clock ?? systemClock;
    this.kubeConfigValue = options.kubeConfig;
    const policy: string = options.onLeadershipLost ?? 'exit';
    if (policy !== 'exit' && policy !== 'recampaign') {
      throw new ManagerError(
        'invalidConfig',
        `onLeadershipLost "${policy}" is unknown: use "exit" (the default) or "recampaign"`,
      );
    }
    this.policy = policy;
    this.shutdownTimeout = options.gracefulShutdownTimeout ?? defaultShutdownTimeout;
    if (
      typeof this.shutdownTimeout !== 'number' ||
      Number.isNaN(this.shutdownTimeout) ||
      this.shutdownTimeout < 0
    ) {
      throw new ManagerError(
        'invalidConfig',
        `gracefulShutdownTimeout (${String(this.shutdownTimeout)}) must be a number of milliseconds ≥ 0 (0: do not wait; Infinity: wait for ever)`,
      );
    }
    this.servers = new ManagerServers({
      healthProbeBindAddress: options.healthProbeBindAddress,
      metricsBindAddress: options.metricsBindAddress,
      registry: this.registry,
      logger: this.logger,
    });
    this.elector = createElector(options.leaderElection, {
      kubeConfig: () => this.getKubeConfig(),
      registry: this.registry,
      logger: this.logger,
      clock: this.clock,
    });
    this.metrics = new ManagerMetrics(this.registry, this.elector.lockDescription);
    if (options.leaderElection !== undefined && options.leaderElection !== false) {
      this.servers.healthz.add('leaderElection', () => {
        this.elector.checkHealth();
      });
    }
    const onFailure = (entry: RunnableEntry, error: unknown): void => {
      this.fail(
        new ManagerError('runnableFailed', `runnable ${entry.name} failed: ${messageOf(error)}`, {
          cause: error,
          runnables: [entry.name],
        }),
      );
    };
    this.groups = { caches: new RunnableGroup(onFailure), others: new RunnableGroup(onFailure) };
    this.onRunnableFailure = onFailure;
  }

  private readonly onRunnableFailure: (entry: RunnableEntry, error: unknown) => void;

  /** Where the manager is in its life. */
  get state(): ManagerState {
    return this.stateValue;
  }

  /** The ports the servers listen on (useful with address `0`); `undefined` until they listen. */
  get ports(): BoundPorts {
    return this.servers.ports;
  }

  /**
   * This replica's leadership, from the elector: the current value on subscription, then every
   * change; completes once the manager has stopped. Without leader election it leads from the
   * campaign phase of `start` until shutdown.
   */
  get leadership$(): Observable<Leadership> {
    return this.elector.leadership$;
  }

  /** The elector the manager runs (built from `leaderElection`, or the one passed in). */
  getElector(): Elector {
    return this.elector;
  }

  /**
   * Resolves with the term once this replica leads (at once if it leads already); rejects when the
   * manager stops first. Without leader election: once `start` has reached the campaign phase.
   */
  elected(signal?: AbortSignal): Promise<Term> {
    return this.elector.whenLeading(signal);
  }

  /** The cluster access: the `kubeConfig` option, or `loadFromDefault()` on first use. */
  getKubeConfig(): KubeConfig {
    if (this.kubeConfigValue === undefined) {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromDefault();
      this.kubeConfigValue = kubeConfig;
    }
    return this.kubeConfigValue;
  }

  /** The logger given in the options (default: one that logs nothing). */
  getLogger(): Logger {
    return this.logger;
  }

  /** The prom-client registry that `/metrics` serves. */
  getRegistry(): Registry {
    return this.registry;
  }

  /** Adds a check to `/healthz` (liveness). A check throws or rejects to fail. @throws ManagerError `invalidConfig` for a bad or duplicate name. */
  addHealthzCheck(name: string, check: HealthCheck): void {
    this.servers.healthz.add(name, check);
  }

  /** Adds a check to `/readyz` (readiness; never about leadership). @throws ManagerError `invalidConfig` for a bad or duplicate name. */
  addReadyzCheck(name: string, check: HealthCheck): void {
    this.servers.readyz.add(name, check);
  }

  /**
   * Registers a runnable. Before `start` it waits for its group's turn; while the manager runs it
   * starts at once in its group (a leader-gated one only if this replica leads now, else at the
   * next acquisition). @throws ManagerError `invalidConfig` when `runnable` is not a Runnable, or is
   * leader-gated, not restartable and `onLeadershipLost` is `recampaign`; `invalidState` once the
   * manager is stopping or stopped.
   */
  add(runnable: Runnable, options: AddOptions = {}): void {
    if (!isRunnable(runnable)) {
      throw new ManagerError(
        'invalidConfig',
        `add: ${describe(runnable)} is not a Runnable (an object with a start(signal) method); wrap a function with runnable(fn)`,
      );
    }
    const name = nameOf(runnable, this.added, options.name);
    switch (this.stateValue) {
      case 'idle':
      case 'starting':
      case 'running':
        break;
      case 'stopping':
      case 'stopped':
        throw new ManagerError(
          'invalidState',
          `add ${name}: the manager is ${this.stateValue}; add runnables before or while it runs`,
        );
    }
    const group: GroupName = isCacheRunnable(runnable)
      ? 'caches'
      : needsLeaderElection(runnable)
        ? 'leaderGated'
        : 'others';
    if (group === 'leaderGated' && this.policy === 'recampaign' && !canRestart(runnable)) {
      throw new ManagerError(
        'invalidConfig',
        `add ${name}: with onLeadershipLost "recampaign" a leader-gated runnable is started again in every term, ` +
          'but this one does not say it can restart: wrap its construction in fromFactory(() => …), or give it restartable() { return true }',
      );
    }
    this.added += 1;
    const entry: RunnableEntry = { runnable, name };
    this.entries[group].push(entry);
    if (!this.startedGroups.has(group)) return;
    if (group === 'leaderGated') this.termRunner?.addRunnable(entry);
    else this.startIn(group, entry);
  }

  /**
   * Runs everything until `signal` aborts, then shuts down in reverse order. Resolves after a clean
   * stop; rejects with the first runnable's failure (`runnableFailed`), `leadershipLost`,
   * `shutdownTimeout`, `bindFailed`, `startFailed` or `leaderElectionFailed`. Call once
   * (`invalidState` otherwise).
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.stateValue !== 'idle') {
      throw new ManagerError(
        'invalidState',
        `start: the manager is ${this.stateValue}; a manager starts only once`,
      );
    }
    this.stateValue = 'starting';
    const onAbort = (): void => {
      this.beginShutdown();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const electorStop = new AbortController();
    let electorRun: Promise<void> | undefined;
    let leading: Promise<void> | undefined;
    try {
      try {
        await this.servers.listen();
      } catch (error: unknown) {
        // Nothing else has started: the guards below skip every later phase.
        this.fail(error as ManagerError);
      }
      this.logger.info({ ports: this.ports }, 'starting the manager');
      if (signal.aborted) this.beginShutdown();
      if (!this.shutdown.signal.aborted) await this.startCaches();
      if (!this.shutdown.signal.aborted) this.startGroup('others');
      if (!this.shutdown.signal.aborted) {
        const runner = new TermRunner({
          elector: this.elector,
          clock: this.clock,
          logger: this.logger,
          metrics: this.metrics,
          policy: this.policy,
          shutdown: this.shutdown.signal,
          entries: () => this.entries.leaderGated,
          onFailure: this.onRunnableFailure,
          stop: (error, deadline) => {
            this.fail(error, deadline);
          },
          deadline: () => this.remaining(),
        });
        this.termRunner = runner;
        this.startedGroups.add('leaderGated');
        leading = runner.run();
        electorRun = this.elector.run(electorStop.signal).then(
          () => {
            if (!this.shutdown.signal.aborted) {
              this.fail(
                new ManagerError(
                  'leaderElectionFailed',
                  `${this.elector.lockDescription}: the elector stopped while the manager ran`,
                ),
              );
            }
          },
          (error: unknown) => {
            this.fail(
              new ManagerError(
                'leaderElectionFailed',
                `${this.elector.lockDescription}: leader election failed: ${messageOf(error)}`,
                {
                  cause: error,
                },
              ),
            );
          },
        );
        this.stateValue = 'running';
        this.logger.info(
          { lock: this.elector.lockDescription, identity: this.elector.identity },
          'campaigning',
        );
      }
      await whenAborted(this.shutdown.signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
      await this.stopAll(leading, electorStop, electorRun);
    }
    if (this.failure !== undefined) throw this.failure;
  }

  private async startCaches(): Promise<void> {
    this.startGroup('caches');
    for (const entry of this.entries.caches) {
      if (this.shutdown.signal.aborted) return;
      const cache = entry.runnable;
      if (!isCacheRunnable(cache)) continue;
      let synced: boolean;
      try {
        synced = await cache.waitForCacheSync(this.shutdown.signal);
      } catch (error: unknown) {
        this.fail(
          new ManagerError('startFailed', `cache ${entry.name} failed to sync: ${messageOf(error)}`, {
            cause: error,
            runnables: [entry.name],
          }),
        );
        return;
      }
      if (!synced && !isAborted(this.shutdown.signal)) {
        this.fail(
          new ManagerError(
            'startFailed',
            `cache ${entry.name} could not sync; the manager does not start the later groups`,
            { runnables: [entry.name] },
          ),
        );
        return;
      }
    }
  }

  private startGroup(group: 'caches' | 'others'): void {
    this.startedGroups.add(group);
    for (const entry of this.entries[group]) this.startIn(group, entry);
  }

  private startIn(group: 'caches' | 'others', entry: RunnableEntry): void {
    void this.groups[group].run(entry, this.controllers[group].signal, { term: undefined });
  }

  /** Milliseconds left before the shutdown deadline (Infinity before shutdown begins). */
  private remaining(): number {
    return Math.max(0, this.deadline - this.clock.now());
  }

  /** Records the first error and begins shutdown; `deadline` (monotonic) may shorten shutdown. */
  private fail(error: ManagerError, deadline?: number): void {
    if (this.failure === undefined && this.stateValue !== 'stopped') {
      this.failure = error;
      this.logger.error({ err: error, runnables: error.runnables }, `stopping the manager: ${error.message}`);
    }
    this.beginShutdown(deadline);
  }

  private beginShutdown(deadline?: number): void {
    if (!this.shutdown.signal.aborted) {
      this.deadline = this.shutdownTimeout === Infinity ? Infinity : this.clock.now() + this.shutdownTimeout;
      if (this.stateValue === 'starting' || this.stateValue === 'running') this.stateValue = 'stopping';
      this.shutdown.abort(this.failure);
    }
    if (deadline !== undefined) this.deadline = Math.min(this.deadline, deadline);
  }

  /** Shutdown in reverse order: leader-gated, the elector (release), others, caches, servers. */
  private async stopAll(
    leading: Promise<void> | undefined,
    electorStop: AbortController,
    electorRun: Promise<void> | undefined,
  ): Promise<void> {
    this.beginShutdown();
    this.stateValue = 'stopping';
    const late: string[] = [];
    // 1. Leader-gated runnables: the term runner aborts and awaits them (bounded) as it sees shutdown.
    if (leading !== undefined) await leading;
    late.push(...(this.termRunner?.lateRunnables ?? []));
    // 2. The elector: ends any term, drains tracked work, releases the lock when configured.
    electorStop.abort();
    if (electorRun !== undefined && !(await this.within(electorRun)))
      late.push(`elector (${this.elector.lockDescription})`);
    // 3. Runnables on every replica, then 4. caches.
    for (const group of ['others', 'caches'] as const) {
      this.controllers[group].abort();
      if (this.shutdownTimeout === 0) continue;
      late.push(...(await this.groups[group].settle(this.clock, this.remaining())));
    }
    // 5. Servers, last: probes answer until here.
    await this.servers.close();
    this.stateValue = 'stopped';
    if (late.length > 0 && this.failure === undefined && this.shutdownTimeout !== 0) {
      this.failure = new ManagerError(
        'shutdownTimeout',
        `shutdown took longer than gracefulShutdownTimeout (${this.shutdownTimeout} ms); still running: ${late.join(', ')}; make them stop when their signal aborts, or raise the timeout`,
        { runnables: late },
      );
    }
    if (this.failure !== undefined && late.length > 0)
      this.logger.error({ runnables: late }, 'runnables had not stopped when the manager stopped');
    this.logger.info({}, 'manager stopped');
  }

  /** Awaits `work` until the shutdown deadline; true when it settled. */
  private async within(work: Promise<void>): Promise<boolean> {
    const budget = this.remaining();
    if (this.shutdownTimeout === 0) return true;
    const cancel = new AbortController();
    const settled = { done: false };
    const tracked = work.then(() => {
      settled.done = true;
    });
    if (budget === Infinity) {
      await tracked;
      return true;
    }
    await Promise.race([tracked, this.clock.sleep(budget, cancel.signal).catch(() => undefined)]);
    cancel.abort();
    return settled.done;
  }
}

/** Builds a {@link Manager}: the same as `new Manager(options)`. */
export function createManager(options: ManagerOptions = {}): Manager {
  return new Manager(options);
}

/** Reads `signal.aborted` afresh (after an await), out of reach of the compiler's narrowing. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

function whenAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else
      signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `a function (${value.name || 'anonymous'})`;
  return typeof value === 'object' ? 'an object without start()' : `a ${typeof value}`;
}
