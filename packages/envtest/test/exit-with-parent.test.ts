import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import {
  EnvtestError,
  exitWithParent,
  PARENT_PID_VARIABLE,
  parentPidEnv,
  whenParentGone,
} from '@kubekit/envtest';
import { processRunning, waitForProcessExit } from '@kubekit/envtest/testing';
import {
  killParent,
  MARKS_SIGTERM,
  sigkillParentOfMarkingWorker,
  startParent,
} from './support/short-lived-parent.js';

const preload = import.meta.resolve('@kubekit/envtest/exit-with-parent');

/**
 * The short-lived parent: starts `node --import @kubekit/envtest/exit-with-parent -e CHILD` with a
 * pipe on stdin, waits for its first line, prints `{ pid, line }`, then waits to be killed.
 */
const PARENT = `
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
const [preload, child] = process.argv.slice(1);
const worker = spawn(process.execPath, ['--import=' + preload, '--input-type=module', '-e', child], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const line = await new Promise((resolve) => createInterface({ input: worker.stdout }).once('line', resolve));
process.stdout.write(JSON.stringify({ pid: worker.pid, line }) + '\\n');
setInterval(() => undefined, 1000);
`;

describe('@kubekit/envtest/exit-with-parent', function () {
  this.timeout(60_000);
  const started: number[] = [];
  afterEach(() => {
    for (const pid of started.splice(0)) if (processRunning(pid)) process.kill(pid, 'SIGKILL');
  });

  it('stops a child the way SIGTERM does when its parent is killed with SIGKILL', async () => {
    expect(await sigkillParentOfMarkingWorker(PARENT, [preload, MARKS_SIGTERM], started)).to.deep.equal({
      line: 'ready',
      runningBefore: true,
      stopped: true,
      mark: 'stopped',
    });
  });

  it('exits a child that does not stop on SIGTERM once the grace time has passed', async () => {
    const { parent, pid } = await startParent(
      PARENT,
      [
        preload,
        `
        process.on('SIGTERM', () => undefined);
        setInterval(() => undefined, 1000);
        console.log('ready');
      `,
      ],
      { ...process.env, KUBEKIT_EXIT_WITH_PARENT_GRACE_MS: '200' },
    );
    started.push(parent.pid ?? 0, pid);
    expect(await killParent(parent, pid), 'the worker outlived its parent by 20 s').to.equal(true);
  });

  it('does not keep a child alive whose work is done', () => {
    const result = spawnSync(process.execPath, [`--import=${preload}`, '-e', 'console.log("done")'], {
      input: '',
      stdio: ['pipe', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).to.equal(0);
    expect(result.stdout).to.equal('done\n');
  });

  it('runs a script whose stdin is not a pipe without the lifeline, and says why on stderr', () => {
    const result = spawnSync(process.execPath, [`--import=${preload}`, '-e', 'console.log("ran")'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).to.equal(0);
    expect(result.stdout).to.equal('ran\n');
    expect(result.stderr).to.contain('not watching the parent').and.to.contain('stdin must be a pipe');
  });

  it('does not stop a child whose stdin ends while its parent lives on', async () => {
    // This test process is the parent: it closes the pipe and stays alive.
    const child = spawn(
      process.execPath,
      [`--import=${preload}`, '-e', 'setTimeout(() => console.log("alive"), 1500)'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end();
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    expect({ code, signal, stdout }).to.deep.equal({ code: 0, signal: null, stdout: 'alive\n' });
    expect(stderr).to.contain('the parent process is still running');
  });

  it('does not pass the parent pid on to its own children when it runs without the lifeline', () => {
    const result = spawnSync(
      process.execPath,
      [`--import=${preload}`, '-e', `console.log(process.env.${PARENT_PID_VARIABLE} ?? 'unset')`],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...parentPidEnv() },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(result.status).to.equal(0);
    expect(result.stdout).to.equal('unset\n');
    expect(result.stderr).to.contain('stdin must be a pipe');
  });

  it('stops a child whose parent, having named itself, died before the child started watching', async () => {
    // The parent spawns the worker and exits at once, long before the worker's Node has started and
    // run the preload: the worker's stdin has ended and it already has a new parent when it looks.
    // Without the parent's pid in the environment that looks like a parent that closed the pipe.
    const dir = mkdtempSync(join(tmpdir(), 'exit-with-parent-'));
    const pidFile = join(dir, 'worker');
    const parent = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
        import { spawn } from 'node:child_process';
        import { writeFileSync } from 'node:fs';
        const [preload, pidFile] = process.argv.slice(1);
        const worker = spawn(process.execPath, ['--import=' + preload, '-e', 'setInterval(() => undefined, 1000)'], {
          stdio: ['pipe', 'ignore', 'ignore'],
          env: { ...process.env, ${PARENT_PID_VARIABLE}: String(process.pid) },
        });
        writeFileSync(pidFile, String(worker.pid));
        process.exit(0);
      `,
        preload,
        pidFile,
      ],
      { stdio: 'ignore', timeout: 30_000 },
    );
    expect(parent.status).to.equal(0);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    started.push(pid);
    rmSync(dir, { recursive: true, force: true });
    expect(await waitForProcessExit(pid, 20_000), 'the worker outlived its parent by 20 s').to.equal(true);
  });

  describe('whenParentGone()', () => {
    it('resolves at once when the process already has another parent than the one that named itself', async () => {
      const stdin = new PassThrough(); // still open: only the parent pid tells
      let resolved = false;
      const gone = whenParentGone(stdin, { parentPid: () => 1, spawnerPid: 4242 }).then(
        () => (resolved = true),
      );
      await gone;
      expect(resolved).to.equal(true);
    });

    it('takes the parent pid from the environment once, and removes it so children do not inherit it', async () => {
      const saved = process.env[PARENT_PID_VARIABLE];
      Object.assign(process.env, parentPidEnv());
      try {
        expect(process.env[PARENT_PID_VARIABLE]).to.equal(String(process.pid));
        const stdin = new PassThrough();
        let parent = process.pid;
        let resolved = false;
        const gone = whenParentGone(stdin, { parentPid: () => parent }).then(() => (resolved = true));
        expect(process.env[PARENT_PID_VARIABLE]).to.equal(undefined);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(resolved, 'the named parent is still the parent').to.equal(false);
        stdin.end();
        parent = 1;
        await gone;
        expect(resolved).to.equal(true);
      } finally {
        if (saved === undefined) Reflect.deleteProperty(process.env, PARENT_PID_VARIABLE);
        else process.env[PARENT_PID_VARIABLE] = saved;
      }
    });

    it('throws an invalidOptions EnvtestError for a parent pid in the environment that is not a pid', () => {
      const saved = process.env[PARENT_PID_VARIABLE];
      process.env[PARENT_PID_VARIABLE] = 'me';
      try {
        expect(() => whenParentGone(new PassThrough()))
          .to.throw(/KUBEKIT_PARENT_PID must be the parent's process id/)
          .that.satisfies((error: unknown) => EnvtestError.is(error, 'invalidOptions'));
      } finally {
        if (saved === undefined) Reflect.deleteProperty(process.env, PARENT_PID_VARIABLE);
        else process.env[PARENT_PID_VARIABLE] = saved;
      }
    });
  });

  describe('exitWithParent()', () => {
    it('sends SIGTERM when stdin ends, and exits after the grace time only if still running', async () => {
      const stdin = new PassThrough();
      const calls: string[] = [];
      let exited: (code: number) => void = () => undefined;
      const exitCode = new Promise<number>((resolve) => (exited = resolve));
      let parent = 100;
      exitWithParent({
        stdin,
        parentPid: () => parent,
        graceMs: 10,
        terminate: () => calls.push('SIGTERM'),
        exit: (code) => {
          calls.push(`exit ${String(code)}`);
          exited(code);
        },
      });
      expect(calls).to.deep.equal([]);
      stdin.end();
      parent = 1; // re-parented: the parent has exited
      expect(await exitCode).to.equal(1);
      expect(calls).to.deep.equal(['SIGTERM', 'exit 1']);
    });

    it('throws an invalidOptions EnvtestError for a bad grace time in the environment', () => {
      const saved = process.env['KUBEKIT_EXIT_WITH_PARENT_GRACE_MS'];
      process.env['KUBEKIT_EXIT_WITH_PARENT_GRACE_MS'] = 'soon';
      try {
        expect(() => {
          exitWithParent({ stdin: new PassThrough() });
        })
          .to.throw(/KUBEKIT_EXIT_WITH_PARENT_GRACE_MS must be a non-negative integer/)
          .that.satisfies((error: unknown) => EnvtestError.is(error, 'invalidOptions'));
      } finally {
        if (saved === undefined) delete process.env['KUBEKIT_EXIT_WITH_PARENT_GRACE_MS'];
        else process.env['KUBEKIT_EXIT_WITH_PARENT_GRACE_MS'] = saved;
      }
    });
  });
});
