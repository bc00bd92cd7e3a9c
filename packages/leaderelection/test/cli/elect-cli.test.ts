import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BehaviorSubject, Subject } from 'rxjs';
import type { Elector, Leadership, Term } from '@kubekit/leaderelection';
import { runElectCli, type CliElector } from '#lib/cli/elect-cli.js';
import { parseElectCliArgs, type ElectCliOptions } from '#lib/cli/elect-cli-options.js';

/** An elector whose campaign the test scripts: acquire, lose, and a run that ends on abort. */
class ScriptedElector implements Elector {
  readonly identity = 'me';
  readonly lockDescription = 'lease ns/op';
  readonly events: string[] = [];
  releaseOnStop = false;
  didRelease = false;
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
      exclusiveUntil: () => Infinity,
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

  lose(reason: string): void {
    this.term?.controller.abort(new Error(reason));
    this.term = undefined;
    this.leader.next('other');
    this.leadership.next({ leading: false });
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!signal.aborted) {
      await new Promise((resolve) => {
        signal.addEventListener('abort', resolve, { once: true });
      });
    }
    this.term?.controller.abort(new Error('stopping'));
    await Promise.allSettled(this.tracked);
    this.events.push('drained');
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

function start(args: string[], createFails = false): Harness {
  const elector = new ScriptedElector();
  const out: string[] = [];
  const shutdown = new AbortController();
  const options = parseElectCliArgs(['--name', 'op', '--json', ...args]) as ElectCliOptions;
  const cli: CliElector = {
    elector,
    setReleaseOnStop: (release) => {
      elector.releaseOnStop = release;
    },
    released: () => elector.didRelease,
    lossGraceMs: () => 300,
    drainMs: 5000,
  };
  const exit = runElectCli(options, {
    stdout: { write: (line: string) => out.push(line) },
    stderr: { write: () => true },
    shutdown: shutdown.signal,
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
    await waitFor(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the command to be stopped');
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

  it('reports an elector that cannot be built and exits 1', async () => {
    const h = start([], true);
    expect(await h.exit).to.equal(1);
    expect(h.lines()).to.have.length(1);
    expect(h.lines()[0]).to.include({ event: 'error', message: 'no kubeconfig found' });
  });
});
