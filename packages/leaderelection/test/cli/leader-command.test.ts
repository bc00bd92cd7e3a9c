import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeCommandSupervision } from '#lib/cli/command-supervision.js';
import { LeaderCommand } from '#lib/cli/leader-command.js';
import { processGroupAlive } from '#lib/cli/process-group.js';

/** True while `pid` runs (a zombie, which no longer runs, counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Cleans up after a failed test: SIGKILL to process group `pgid`, if it still exists. */
function killGroup(pgid: number): void {
  try {
    if (pgid > 0) process.kill(-pgid, 'SIGKILL');
  } catch {
    // Gone, as it should be.
  }
}

/** The pids a command wrote to `file`, one a line, once there are `count`. */
async function pidsIn(file: string, count: number): Promise<number[]> {
  for (let i = 0; i < 1_000; i++) {
    const lines = existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      : [];
    if (lines.length >= count) return lines.map(Number);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${String(count)} pids in ${file}`);
}

/** The pids whose command line contains `text`. */
function pidsRunning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Polls `check` every millisecond for up to `ms`; resolves with the time it took, or `undefined`. */
async function within(
  ms: number,
  check: () => boolean,
  from = performance.now(),
): Promise<number | undefined> {
  while (performance.now() - from < ms) {
    if (check()) return performance.now() - from;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return check() ? performance.now() - from : undefined;
}

describe('LeaderCommand', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubekit-cmd-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the exit code of a command that exits by itself', async () => {
    const command = new LeaderCommand(['sh', '-c', 'exit 3']);
    expect(await command.exited).to.deep.equal({ code: 3, signal: null });
  });

  it('reports 127 for a command that cannot be started', async () => {
    const command = new LeaderCommand(['/nonexistent/kubekit-command']);
    expect((await command.exited).code).to.equal(127);
  });

  it('stops a command with SIGTERM', async () => {
    const command = new LeaderCommand(['sleep', '30']);
    const exit = await command.stop(5000);
    expect(exit).to.deep.equal({ code: 143, signal: 'SIGTERM' });
  });

  it('kills the whole process group with SIGKILL when SIGTERM is ignored past the grace', async () => {
    // The shell ignores SIGTERM and waits on a grandchild that shares its process group.
    const dir = mkdtempSync(join(tmpdir(), 'kubekit-cmd-'));
    const pidFile = join(dir, 'grandchild');
    try {
      const command = new LeaderCommand([
        'sh',
        '-c',
        `trap '' TERM; sleep 30 & echo $! > ${pidFile}; wait; wait`,
      ]);
      while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const grandchild = Number(readFileSync(pidFile, 'utf8'));
      const started = performance.now();
      const exit = await command.stop(200);
      expect(exit.signal).to.equal('SIGKILL');
      expect(performance.now() - started).to.be.within(150, 3000);
      // The grandchild went with the group: it is gone, or a zombie waiting to be reaped.
      for (let i = 0; i < 100 && alive(grandchild); i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(alive(grandchild)).to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('treats stop after exit as a no-op', async () => {
    const command = new LeaderCommand(['true']);
    await command.exited;
    expect(await command.stop(0)).to.deep.equal({ code: 0, signal: null });
  });

  it('regression: exited waits until every process of the command group is dead', async () => {
    // The command exits at once, leaving a child that ignores SIGTERM in its group.
    const pidFile = join(dir, 'child');
    const command = new LeaderCommand([
      'sh',
      '-c',
      `trap '' TERM; sleep 1000 & echo $! > ${pidFile}; exit 4`,
    ]);
    const [child = 0] = await pidsIn(pidFile, 1);
    try {
      expect(await command.exited).to.deep.equal({ code: 4, signal: null });
      expect(alive(child), 'the child it left behind').to.equal(false);
      expect(processGroupAlive(command.pid ?? 0)).to.equal(false);
    } finally {
      killGroup(command.pid ?? 0);
    }
  });

  describe('guarded (setpriv and a watchdog)', () => {
    const supervision = probeCommandSupervision();
    before(function () {
      if (supervision.kind === 'none') this.skip();
    });

    it('reports exit codes and signals of the command itself', async () => {
      const exited = new LeaderCommand(['sh', '-c', 'exit 3'], { supervision });
      expect(await exited.exited).to.deep.equal({ code: 3, signal: null });
      const pidFile = join(dir, 'pid');
      const stopped = new LeaderCommand(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`], { supervision });
      await pidsIn(pidFile, 1);
      expect(await stopped.stop(5_000)).to.deep.equal({ code: 143, signal: 'SIGTERM' });
      const missing = new LeaderCommand(['/nonexistent/kubekit-command'], { supervision });
      expect((await missing.exited).code).to.equal(127);
    });

    it('regression: the command and its children die when the process that started it is SIGKILLed', async () => {
      const pidFile = join(dir, 'pids');
      const module = new URL('../../../dist/cli/leader-command.js', import.meta.url).href;
      const script = [
        `import { LeaderCommand } from ${JSON.stringify(module)};`,
        `const supervision = ${JSON.stringify(supervision)};`,
        `new LeaderCommand(['sh', '-c', 'echo $$ >> ${pidFile}; sleep 1000 & echo $! >> ${pidFile}; sleep 1000'], { supervision });`,
        'setInterval(() => undefined, 1000);',
      ].join('\n');
      const elector = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
      const exited = new Promise((resolve) => elector.once('exit', resolve));
      const [group = 0, child = 0] = await pidsIn(pidFile, 2);
      try {
        expect(alive(group) && alive(child)).to.equal(true);
        elector.kill('SIGKILL');
        const took = await within(2_000, () => !processGroupAlive(group));
        await exited;
        expect(took, 'the command group outlived its elector').to.not.equal(undefined);
        expect(took).to.be.below(200);
        expect(alive(child)).to.equal(false);
      } finally {
        killGroup(group);
      }
    });

    it('kills the command when its watchdog dies, and says so', async () => {
      const pidFile = join(dir, 'pids');
      const errors: string[] = [];
      const command = new LeaderCommand(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 1000`], {
        supervision,
        onError: (message) => errors.push(message),
      });
      const [group = 0] = await pidsIn(pidFile, 1);
      const [watchdog] = pidsRunning(`kubekit-elect-watchdog\u0000${String(group)}`);
      expect(watchdog, 'the watchdog').to.be.a('number');
      process.kill(watchdog ?? 0, 'SIGKILL');
      expect((await command.exited).signal).to.equal('SIGKILL');
      expect(errors.join('\n')).to.match(/watchdog of command sh -c .* exited/);
    });

    it('leaves no watchdog behind once the command is gone', async () => {
      const pidFile = join(dir, 'pids');
      const command = new LeaderCommand(['sh', '-c', `echo $$ > ${pidFile}; exit 0`], { supervision });
      const [group = 0] = await pidsIn(pidFile, 1);
      await command.exited;
      const left = await within(
        2_000,
        () => pidsRunning(`kubekit-elect-watchdog\u0000${String(group)}`).length === 0,
      );
      expect(left, 'the watchdog still runs').to.not.equal(undefined);
    });
  });
});
