import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaderCommand } from '#lib/cli/leader-command.js';

/** True while `pid` runs (a zombie, which no longer runs, counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('LeaderCommand', () => {
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
});
