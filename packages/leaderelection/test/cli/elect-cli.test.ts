import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BehaviorSubject, Subject } from 'rxjs';
import type { Elector, Leadership, Term } from '@kubekit/leaderelection';
import { processRunning } from '@kubekit/envtest/testing';
import { probeCommandSupervision, type CommandSupervision } from '#lib/cli/command-supervision.js';
import { runElectCli, type CliElector } from '#lib/cli/elect-cli.js';
import { parseElectCliArgs, type ElectCliOptions } from '#lib/cli/elect-cli-options.js';

/** An elector whose campaign the test scripts: acquire, lose, and a run that ends on abort. */
class ScriptedElector implements Elector {
  readonly identity = 'me';
  readonly lockDescription = 'lease ns/op';
  readonly events: string[] = [];
  releaseOnStop = false;
  didRelease = false;
  /** Like the elector's drain timeout: how long `run` waits for tracked work before deciding. */
  drainTimeoutMs = Infinity;
  /** What `exclusiveUntil()` of the current term returns, on `performance.now()`. */
  exclusiveUntil = Infinity;
  private readonly leadership = new BehaviorSubject<Leadership>({ leading: false });
  private readonly leader = new BehaviorSubject<string | undefined>(undefined);
  readonly leadership$ = this.leadership.asObservable();
  readonly leader$ = this.leader.asObservable();
  readonly errors$ = new Subject<never>().asObservable();
  private tracked: Promise<unknown>[] = [];
  private term: { term: Term; controller: AbortController } | undefined;

  acquire(epoch: number): void {
    const controller = new AbortController();
    const term: Term = {
      identity: this.identity,
      epoch,
      acquiredAt: 0,
      acquireTime: new Date(),
      signal: controller.signal,
      validUntil: () => Infinity,
      remainingMs: () => (controller.signal.aborted ? 0 : Infinity),
      exclusiveUntil: () => this.exclusiveUntil,
      isValid: () => !controller.signal.aborted,
      track: <T>(work: Promise<T>) => {
        this.tracked.push(work);
        return work;
      },
      runWhileLeading: <T>(_name: string, fn: (t: Term) => Promise<T>) => {
        const work = fn(term);
        this.tracked.push(work);
        return work;
      },
    };
    this.term = { term, controller };
    this.leader.next(this.identity);
    this.leadership.next({ leading: true, term });
  }

  currentLeader(): string | undefined {
    return this.leader.value;
  }

  healthy(): boolean {
    return true;
  }

  checkHealth(): void {
    // Always healthy.
  }

  /**
   * Ends the term. `takenOver`: another holder was seen, so `exclusiveUntil` is now (as the lease
   * elector does); `holder`: the leader observed afterwards (unchanged when not given).
   */
  lose(reason: string, options: { takenOver?: boolean; holder?: string } = {}): void {
    if (options.takenOver === true) this.exclusiveUntil = Math.min(this.exclusiveUntil, performance.now());
    this.term?.controller.abort(new Error(reason));
    this.term = undefined;
    if (options.holder !== undefined) this.leader.next(options.holder);
    this.leadership.next({ leading: false });
  }

  /** The observed leader changes (e.g. a follower took over after the loss). */
  observe(holder: string | undefined): void {
    this.leader.next(holder);
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!signal.aborted) {
      await new Promise((resolve) => {
        signal.addEventListener('abort', resolve, { once: true });
      });
    }
    this.term?.controller.abort(new Error('stopping'));
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.allSettled(this.tracked).then(() => true),
      new Promise<boolean>((resolve) => {
        if (Number.isFinite(this.drainTimeoutMs)) timer = setTimeout(resolve, this.drainTimeoutMs, false);
      }),
    ]);
    clearTimeout(timer);
    this.events.push(drained ? 'drained' : 'drain timed out');
    if (this.releaseOnStop && this.term !== undefined) {
      this.didRelease = true;
      this.events.push('released');
      this.leader.next(undefined);
    }
    this.term = undefined;
    this.leadership.next({ leading: false });
    this.leadership.complete();
    this.leader.complete();
  }

  whenLeading(): Promise<Term> {
    return Promise.reject(new Error('not used'));
  }

  currentTerm(): Term | undefined {
    return this.term?.term;
  }
}

interface Harness {
  readonly elector: ScriptedElector;
  readonly lines: () => Record<string, unknown>[];
  readonly shutdown: AbortController;
  readonly exit: Promise<number>;
}

/** How this machine guards commands (the tests below need `setpriv`, as the CLI does). */
const supervision = probeCommandSupervision();

function start(
  args: string[],
  createFails = false,
  setup: { supervision?: CommandSupervision; drainMs?: number; elector?: ScriptedElector } = {},
): Harness {
  const elector = setup.elector ?? new ScriptedElector();
  const out: string[] = [];
  const shutdown = new AbortController();
  const options = parseElectCliArgs(['--name', 'op', '--json', ...args]) as ElectCliOptions;
  const cli: CliElector = {
    elector,
    setReleaseOnStop: (release) => {
      elector.releaseOnStop = release;
    },
    released: () => elector.didRelease,
    now: () => performance.now(),
    driftMarginMs: 500,
    drainMs: setup.drainMs ?? 5000,
  };
  const exit = runElectCli(options, {
    stdout: { write: (line: string) => out.push(line) },
    stderr: { write: () => true },
    shutdown: shutdown.signal,
    supervision: setup.supervision ?? supervision,
    createElector: () =>
      createFails ? Promise.reject(new Error('no kubeconfig found')) : Promise.resolve(cli),
  });
  return {
    elector,
    shutdown,
    exit,
    lines: () => out.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** True while `pid` runs (a zombie, which no longer runs, counts as gone). */
const tick = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (check()) return;
    await tick();
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('runElectCli', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubekit-elect-'));
  });
  afterEach(() => {
    // After a failure, a command may still run: its pid is its process group's.
    const pidFile = join(dir, 'pid');
    if (existsSync(pidFile)) {
      try {
        process.kill(-Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // Gone, as it should be.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints JSON events and exits 0 on shutdown without releasing', async () => {
    const h = start([]);
    await tick();
    h.elector.acquire(4);
    h.shutdown.abort();
    expect(await h.exit).to.equal(0);
    const lines = h.lines();
    expect(lines.map((l) => l['event'])).to.deep.equal([
      'started',
      'leader',
      'leader',
      'acquired',
      'stopped',
    ]);
    expect(lines[0]).to.include({ event: 'started', identity: 'me', lock: 'lease ns/op' });
    expect(lines[2]).to.include({ leader: 'me' });
    expect(lines[3]).to.include({ epoch: 4 });
    for (const line of lines) expect(line['time']).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('releases on shutdown with --release-on-cancel', async () => {
    const h = start(['--release-on-cancel']);
    h.elector.acquire(1);
    h.shutdown.abort();
    expect(await h.exit).to.equal(0);
    expect(h.lines().map((l) => l['event'])).to.include('released');
  });

  it('runs the command only while leading and stops it on loss', async () => {
    const pidFile = join(dir, 'pid');
    const h = start(['--', 'sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`]);
    await tick(100);
    expect(existsSync(pidFile), 'started before acquiring').to.equal(false);
    h.elector.acquire(1);
    await waitFor(
      () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '',
      'the command to start',
    );
    const pid = Number(readFileSync(pidFile, 'utf8'));
    h.elector.lose('renew deadline passed');
    await waitFor(() => !processRunning(pid), 'the command to be stopped');
    const lost = h.lines().find((l) => l['event'] === 'lost');
    expect(lost).to.include({ reason: 'renew deadline passed' });
    h.shutdown.abort();
    expect(await h.exit).to.equal(0);
  });

  it('releases and exits with the code of a command that exits by itself', async () => {
    const h = start(['--', 'sh', '-c', 'exit 7']);
    h.elector.acquire(2);
    expect(await h.exit).to.equal(7);
    const events = h.lines().map((l) => l['event']);
    expect(events.slice(-2)).to.deep.equal(['released', 'stopped']);
    expect(h.lines().at(-1)).to.include({ code: 7 });
  });

  it('lets the command finish before the lock is released on shutdown', async () => {
    const doneFile = join(dir, 'done');
    const h = start([
      '--release-on-cancel',
      '--',
      'sh',
      '-c',
      `trap 'sleep 0.3; echo done > ${doneFile}; exit 0' TERM; while true; do sleep 0.05; done`,
    ]);
    h.elector.acquire(1);
    await tick(200);
    h.shutdown.abort();
    expect(await h.exit).to.equal(0);
    expect(existsSync(doneFile), 'the command finished its cleanup').to.equal(true);
    expect(h.elector.events).to.deep.equal(['drained', 'released']);
  });

  /** The pid a command wrote to `file`, once it has. */
  async function pidIn(file: string): Promise<number> {
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').trim() !== '', `a pid in ${file}`);
    return Number(readFileSync(file, 'utf8'));
  }

  /** A command that ignores SIGTERM (its children too) and writes its pid to `file`. */
  function stubborn(file: string): string[] {
    return ['sh', '-c', `trap '' TERM; echo $$ > ${file}; while :; do sleep 0.05; done`];
  }

  it('refuses a command it cannot make die with it, unless --allow-orphans is given', async () => {
    const none: CommandSupervision = { kind: 'none', why: 'no setpriv in this test' };
    const refused = start(['--', 'sh', '-c', 'exit 3'], false, { supervision: none });
    expect(await refused.exit).to.equal(2);
    const [line] = refused.lines();
    expect(line).to.include({ event: 'error' });
    expect(String(line?.['message'])).to.contain('no setpriv in this test').and.to.contain('--allow-orphans');
    expect(refused.elector.events, 'never campaigned').to.deep.equal([]);

    const allowed = start(['--allow-orphans', '--', 'sh', '-c', 'exit 3'], false, { supervision: none });
    allowed.elector.acquire(1);
    expect(await allowed.exit).to.equal(3);
  });

  it('regression: a command gets no grace after a loss to a known holder', async () => {
    const pidFile = join(dir, 'pid');
    const elector = new ScriptedElector();
    // Without the takeover, the term would be exclusive for 10 s more.
    elector.exclusiveUntil = performance.now() + 10_000;
    const h = start(['--', ...stubborn(pidFile)], false, { elector, drainMs: 10_000 });
    h.elector.acquire(1);
    const pid = await pidIn(pidFile);
    const lostAt = performance.now();
    h.elector.lose('other holds the lock', { takenOver: true });
    await waitFor(() => !processRunning(pid), 'the command to be killed');
    // Killed at once (SIGKILL without waiting for SIGTERM); generous for a loaded machine.
    expect(performance.now() - lostAt).to.be.below(2_000);
    h.shutdown.abort();
    expect(await h.exit).to.equal(0);
  });

  it('lets a command run until shortly before exclusiveUntil after a loss by deadline', async () => {
    const pidFile = join(dir, 'pid');
    const elector = new ScriptedElector();
    const h = start(['--', ...stubborn(pidFile)], false, { elector, drainMs: 10_000 });
    h.elector.acquire(1);
    const pid = await pidIn(pidFile);
    // exclusiveUntil 2.5 s from now, less the 500 ms margin: SIGKILL 1.5 s from now (a quarter of
    // the 2 s before the deadline is left for the kill to land).
    elector.exclusiveUntil = performance.now() + 2_500;
    const lostAt = performance.now();
    h.elector.lose('renew deadline passed');
    await tick(500);
    expect(processRunning(pid), 'still running within its grace').to.equal(true);
    await waitFor(() => !processRunning(pid), 'the command to be killed');
    expect(performance.now() - lostAt).to.be.within(1_000, 4_500);
    h.shutdown.abort();
    expect(await h.exit).to.equal(0);
  });

  it('kills the command of a lost term at once when another holder is seen during its grace', async () => {
    const pidFile = join(dir, 'pid');
    const elector = new ScriptedElector();
    const h = start(['--', ...stubborn(pidFile)], false, { elector, drainMs: 10_000 });
    h.elector.acquire(1);
    const pid = await pidIn(pidFile);
    // Lost by deadline: the term would be exclusive for 10 s more.
    elector.exclusiveUntil = performance.now() + 10_000;
    h.elector.lose('renew deadline passed');
    await tick(300);
    expect(processRunning(pid), 'still running within its grace').to.equal(true);
    const seenAt = performance.now();
    h.elector.observe('other');
    await waitFor(() => !processRunning(pid), 'the command to be killed');
    expect(performance.now() - seenAt).to.be.below(2_000);
    h.shutdown.abort();
    expect(await h.exit).to.equal(0);
  });

  it('regression: the lock is not released while the command outlives the drain', async () => {
    const pidFile = join(dir, 'pid');
    const elector = new ScriptedElector();
    // The elector gives up draining after 300 ms; the command ignores SIGTERM and is sent SIGKILL
    // only 1.5 s after the stop.
    elector.drainTimeoutMs = 300;
    const h = start(['--release-on-cancel', '--', ...stubborn(pidFile)], false, { elector, drainMs: 2_000 });
    h.elector.acquire(1);
    const pid = await pidIn(pidFile);
    h.shutdown.abort();
    expect(await h.exit).to.equal(0);
    expect(h.elector.events).to.deep.equal(['drain timed out']);
    expect(h.lines().map((l) => l['event'])).to.not.include('released');
    // kubekit-elect does not leave before its command is gone.
    expect(processRunning(pid)).to.equal(false);
  });

  it('reports an elector that cannot be built and exits 1', async () => {
    const h = start([], true);
    expect(await h.exit).to.equal(1);
    expect(h.lines()).to.have.length(1);
    expect(h.lines()[0]).to.include({ event: 'error', message: 'no kubeconfig found' });
  });
});
