import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { expect } from 'chai';
import {
  EnvtestError,
  PARENT_PID_VARIABLE,
  spawnWithLifeline,
  type LifelineChild,
  type LifelineOutput,
  type SpawnWithLifelineOptions,
} from '@kubekit/envtest';
import { processRunning } from '@kubekit/envtest/testing';
import { MARKS_SIGTERM, sigkillParentOfMarkingWorker } from './support/short-lived-parent.js';

const entry = import.meta.resolve('@kubekit/envtest');
const preload = import.meta.resolve('@kubekit/envtest/exit-with-parent');

/**
 * The short-lived parent: spawns its second argument through spawnWithLifeline (stderr inherited),
 * waits for the worker's first line, prints `{ pid, line }`, then waits to be killed.
 */
const PARENT = `
import { createInterface } from 'node:readline';
const [entry, worker] = process.argv.slice(1);
const { spawnWithLifeline } = await import(entry);
const child = spawnWithLifeline(worker, [], { stderr: 'inherit' });
const line = await new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
process.stdout.write(JSON.stringify({ pid: child.pid, line }) + '\\n');
setInterval(() => undefined, 1000);
`;

/** What a child wrote and how it ended. */
interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Collects what a child spawned with piped stdout and stderr writes, until it exits. */
async function finished(child: LifelineChild): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

describe('spawnWithLifeline()', function () {
  this.timeout(60_000);
  let dir = '';
  const started: number[] = [];
  /** Writes `source` as an ES module in the test's folder; returns its path. */
  const script = (name: string, source: string): string => {
    const path = join(dir, name);
    writeFileSync(path, source);
    return path;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spawn-with-lifeline-'));
  });
  afterEach(() => {
    for (const pid of started.splice(0)) if (processRunning(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops the child the way SIGTERM does when the parent is killed with SIGKILL', async () => {
    const worker = script('worker.mjs', MARKS_SIGTERM);
    expect(await sigkillParentOfMarkingWorker(PARENT, [entry, worker], started)).to.deep.equal({
      line: 'ready',
      runningBefore: true,
      stopped: true,
      mark: 'stopped',
    });
  });

  it('runs the script with the preload, after the Node options and before the arguments', async () => {
    const child = spawnWithLifeline(
      script(
        'argv.mjs',
        'console.log(JSON.stringify({ execArgv: process.execArgv, args: process.argv.slice(2), gc: typeof gc }));',
      ),
      ['one', '--two'],
      { execArgv: ['--expose-gc'] },
    );
    const result = await finished(child);
    expect(result.code, result.stderr).to.equal(0);
    expect(JSON.parse(result.stdout)).to.deep.equal({
      execArgv: ['--expose-gc', `--import=${preload}`],
      args: ['one', '--two'],
      gc: 'function',
    });
  });

  describe('env', () => {
    const PRINT_ENV = `console.log(JSON.stringify({
      execArgv: process.execArgv,
      added: process.env.LIFELINE_ADDED ?? null,
      inherited: process.env.LIFELINE_INHERITED ?? null,
      removed: process.env.LIFELINE_REMOVED ?? null,
      parentPid: process.env.${PARENT_PID_VARIABLE} ?? null,
    }));`;
    const saved = { ...process.env };
    beforeEach(() => {
      process.env['LIFELINE_INHERITED'] = 'from the parent';
      process.env['LIFELINE_REMOVED'] = 'from the parent too';
    });
    afterEach(() => {
      for (const name of ['LIFELINE_INHERITED', 'LIFELINE_REMOVED'])
        if (saved[name] === undefined) Reflect.deleteProperty(process.env, name);
        else process.env[name] = saved[name];
    });

    it("adds the caller's variables to this process's environment, removes those given as undefined, and names this process as the parent (without the preload)", async () => {
      const child = spawnWithLifeline(script('env.mjs', PRINT_ENV), [], {
        preload: false, // the preload would take the parent pid out of the environment
        env: { LIFELINE_ADDED: 'by the caller', LIFELINE_REMOVED: undefined, [PARENT_PID_VARIABLE]: '1' },
      });
      const result = await finished(child);
      expect(result.code, result.stderr).to.equal(0);
      expect(JSON.parse(result.stdout)).to.deep.equal({
        execArgv: [],
        added: 'by the caller',
        inherited: 'from the parent',
        removed: null,
        parentPid: String(process.pid),
      });
      expect(process.env['LIFELINE_REMOVED'], "this process's own environment is untouched").to.equal(
        'from the parent too',
      );
    });

    it('leaves the parent pid to the preload, which takes it out of the script’s environment', async () => {
      const child = spawnWithLifeline(script('env.mjs', PRINT_ENV), [], {
        env: { LIFELINE_ADDED: 'by the caller' },
      });
      const result = await finished(child);
      expect(result.code, result.stderr).to.equal(0);
      expect(JSON.parse(result.stdout)).to.deep.equal({
        execArgv: [`--import=${preload}`],
        added: 'by the caller',
        inherited: 'from the parent',
        removed: 'from the parent too',
        parentPid: null,
      });
      expect(result.stderr, 'the lifeline is watching').to.equal('');
    });
  });

  describe('stdio', () => {
    const WRITE_BOTH = `
      import { fstatSync } from 'node:fs';
      const stdin = fstatSync(0);
      process.stdout.write('out: stdin is ' + (stdin.isFIFO() || stdin.isSocket() ? 'a pipe' : 'not a pipe') + '\\n');
      process.stderr.write('err\\n');
    `;

    it('gives the child a pipe on stdin and pipes its stdout and stderr by default', async () => {
      const child = spawnWithLifeline(script('both.mjs', WRITE_BOTH));
      const stdin: unknown = child.stdin;
      expect(stdin).to.have.property('writable', true);
      const result = await finished(child);
      expect(result).to.deep.equal({ code: 0, stdout: 'out: stdin is a pipe\n', stderr: 'err\n' });
    });

    it("keeps the caller's choice for stdout and stderr", async () => {
      const child = spawnWithLifeline(script('both.mjs', WRITE_BOTH), [], {
        stdout: 'ignore',
        stderr: 'pipe',
      });
      const stdout: null = child.stdout;
      const stderr: Readable = child.stderr;
      expect(stdout).to.equal(null);
      let text = '';
      stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const [code] = (await once(child, 'close')) as [number | null];
      expect({ code, text }).to.deep.equal({ code: 0, text: 'err\n' });
    });

    it("passes this process's own stdout and stderr on with 'inherit'", () => {
      // A parent in between, whose stdout and stderr this test reads.
      const both = script('both.mjs', WRITE_BOTH);
      const result = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { spawnWithLifeline } = await import(process.argv[1]);
           const child = spawnWithLifeline(process.argv[2], [], { stdout: 'inherit', stderr: 'inherit' });
           if (child.stdout !== null || child.stderr !== null) throw new Error('streams for inherited output');
           child.on('exit', (code) => { process.exitCode = code; });`,
          entry,
          both,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 30_000 },
      );
      expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).to.deep.equal({
        status: 0,
        stdout: 'out: stdin is a pipe\n',
        stderr: 'err\n',
      });
    });
  });

  describe('bad input', () => {
    const invalid = (run: () => unknown, message: RegExp): void => {
      expect(run)
        .to.throw(message)
        .that.satisfies((error: unknown) => EnvtestError.is(error, 'invalidOptions'));
    };

    it('throws an invalidOptions EnvtestError for a stdio option, since stdin must stay the lifeline', () => {
      const options = { stdio: 'inherit' } as unknown as SpawnWithLifelineOptions;
      invalid(
        () => spawnWithLifeline(script('noop.mjs', ''), [], options),
        /pass stdout and stderr instead of stdio/,
      );
    });

    it('throws an invalidOptions EnvtestError for an output other than pipe, inherit or ignore', () => {
      const options = { stderr: 'overlapped' as LifelineOutput };
      invalid(
        () => spawnWithLifeline(script('noop.mjs', ''), [], options),
        /stderr must be 'pipe', 'inherit' or 'ignore', got "overlapped"/,
      );
    });

    it('throws an invalidOptions EnvtestError for an empty script', () => {
      invalid(() => spawnWithLifeline(''), /the script must be the path of a Node script/);
    });
  });
});
