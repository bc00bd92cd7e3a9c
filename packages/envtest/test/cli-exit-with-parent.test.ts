import { spawn, spawnSync } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { createServer, type AddressInfo } from 'node:net';
import { expect } from 'chai';
import { EnvtestError } from '@kubekit/envtest';
import { processRunning as running } from '@kubekit/envtest/testing';
import { main } from '#lib/cli.js';
import { sleep } from './support/raw-client.js';

const bin = createRequire(import.meta.url)
  .resolve('@kubekit/envtest/package.json')
  .replace(/package\.json$/, 'dist/bin/kubekit-envtest.js');

async function missing(path: string): Promise<boolean> {
  return readFile(path).then(
    () => false,
    () => true,
  );
}

/** The short-lived parent: starts the CLI with `--exit-with-parent`, prints its pid and ready line, then waits. */
const PARENT = `
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
const cli = spawn(process.execPath, [process.argv[1], '--exit-with-parent', '--port', '0'], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const [ready] = await new Promise((resolve) => createInterface({ input: cli.stdout }).once('line', (line) => resolve([line])));
process.stdout.write(JSON.stringify({ pid: cli.pid, ready: JSON.parse(ready) }) + '\\n');
`;

describe('kubekit-envtest --exit-with-parent', () => {
  it('stops cleanly and exits when its parent is killed with SIGKILL', async function () {
    this.timeout(60_000);
    const parent = spawn(process.execPath, ['--input-type=module', '-e', PARENT, bin], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let cliPid: number | undefined;
    try {
      const lines = createInterface({ input: parent.stdout });
      const [line] = (await once(lines, 'line')) as [string];
      lines.close();
      const started = JSON.parse(line) as { pid: number; ready: { url: string; kubeconfig: string } };
      cliPid = started.pid;
      expect(running(cliPid)).to.equal(true);
      expect(await missing(started.ready.kubeconfig)).to.equal(false);

      const exited = once(parent, 'exit');
      parent.kill('SIGKILL');
      await exited;

      // Generous: the server stops in well under a second, but the machine may be loaded.
      const deadline = performance.now() + 30_000;
      while (running(cliPid) && performance.now() < deadline) await sleep(20);
      expect(running(cliPid), 'the CLI outlived its parent by 30 s').to.equal(false);
      // It stopped through its own shutdown path: the temporary kubeconfig it wrote is gone.
      expect(await missing(started.ready.kubeconfig)).to.equal(true);
    } finally {
      if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
      if (cliPid !== undefined && running(cliPid)) process.kill(cliPid, 'SIGKILL');
    }
  });

  it('exits 2 with a clear message when stdin is not a pipe', () => {
    const result = spawnSync(process.execPath, [bin, '--exit-with-parent', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).to.equal(2);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.contain('--exit-with-parent needs stdin to be a pipe from the parent process');
  });

  it('exits 2 with a clear message when KUBEKIT_PARENT_PID is not a pid', () => {
    const result = spawnSync(process.execPath, [bin, '--exit-with-parent', '--port', '0'], {
      input: '',
      env: { ...process.env, KUBEKIT_PARENT_PID: 'parent' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).to.equal(2);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.contain("KUBEKIT_PARENT_PID must be the parent's process id");
  });

  describe('main() with a stream for stdin', () => {
    /** What main() printed with console.log: its ready lines. */
    let lines: string[];
    let log: typeof console.log;
    beforeEach(() => {
      lines = [];
      log = console.log;
      console.log = (line: string) => lines.push(line);
    });
    afterEach(() => {
      console.log = log;
    });

    it('stops when stdin ends, and releases stdin when stopped by a signal', async () => {
      const stdin = new PassThrough();
      // The parent's pid as the process sees it: 100 when the watch starts, then 1 (re-parented).
      let looks = 0;
      const parentPid = (): number => (looks++ === 0 ? 100 : 1);
      const exit = main(['--exit-with-parent', '--port', '0'], new EventEmitter(), stdin, { parentPid });
      while (lines.length === 0) await sleep(5);
      const ready = JSON.parse(lines[0] ?? '') as { kubeconfig: string };
      stdin.write('ignored\n');
      stdin.end();
      expect(await exit).to.equal(0);
      expect(await missing(ready.kubeconfig)).to.equal(true);

      const signals = new EventEmitter();
      const open = new PassThrough();
      const stopped = main(['--exit-with-parent', '--port', '0'], signals, open);
      while (lines.length === 1) await sleep(5);
      signals.emit('SIGTERM');
      expect(await stopped).to.equal(0);
      expect(open.destroyed).to.equal(true);
    });

    it('releases stdin when the server fails to start', async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      try {
        const port = (taken.address() as AddressInfo).port;
        const stdin = new PassThrough();
        let failure: unknown;
        await main(['--exit-with-parent', '--port', String(port)], new EventEmitter(), stdin).catch(
          (error: unknown) => (failure = error),
        );
        expect(EnvtestError.is(failure) && failure.kind).to.equal('startFailed');
        expect(stdin.destroyed).to.equal(true);
      } finally {
        await new Promise((resolve) => taken.close(resolve));
      }
    });

    it('without the flag does not touch stdin', async () => {
      const signals = new EventEmitter();
      const stdin = new PassThrough();
      const exit = main(['--port', '0'], signals, stdin);
      while (lines.length === 0) await sleep(5);
      expect(stdin.readableFlowing).to.equal(null);
      expect(stdin.listenerCount('end') + stdin.listenerCount('close')).to.equal(0);
      signals.emit('SIGTERM');
      expect(await exit).to.equal(0);
      expect(stdin.destroyed).to.equal(false);
    });
  });
});
