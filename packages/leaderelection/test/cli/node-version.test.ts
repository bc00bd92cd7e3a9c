import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { nodeVersionProblem } from '#lib/cli/node-version.js';

const packageJson = createRequire(import.meta.url).resolve('@kubekit/leaderelection/package.json');
const manifest = pathToFileURL(packageJson);
const bin = packageJson.replace(/package\.json$/, 'dist/cli.js');

describe('kubekit-elect: Node version check', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'elect-node-version-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  function manifestRequiring(range: string | undefined): URL {
    const file = join(dir, 'package.json');
    writeFileSync(file, JSON.stringify(range === undefined ? {} : { engines: { node: range } }));
    return pathToFileURL(file);
  }

  it('compares major, minor and patch numerically against engines.node', () => {
    const minimum = manifestRequiring('>=22.19');
    expect(nodeVersionProblem('kubekit-elect', '22.19.0', minimum)).to.equal(undefined);
    expect(nodeVersionProblem('kubekit-elect', '24.0.0', minimum)).to.equal(undefined);
    expect(nodeVersionProblem('kubekit-elect', '22.20.0', minimum)).to.equal(undefined);
    expect(nodeVersionProblem('kubekit-elect', '22.9.0', minimum)).to.be.a('string');
    expect(nodeVersionProblem('kubekit-elect', '20.20.2', minimum)).to.be.a('string');
    const patch = manifestRequiring('>=22.19.2');
    expect(nodeVersionProblem('kubekit-elect', '22.19.1', patch)).to.be.a('string');
    expect(nodeVersionProblem('kubekit-elect', '22.19.2', patch)).to.equal(undefined);
  });

  it('names the needed and the running version in one line', () => {
    const problem = nodeVersionProblem('kubekit-elect', '20.1.0', manifestRequiring('>=22.19'));
    expect(problem).to.match(
      /^kubekit-elect: needs Node\.js 22\.19 or newer, but this is Node\.js 20\.1\.0 \(/,
    );
    expect(problem).not.to.contain('\n');
  });

  it('accepts any Node when the package names no minimum', () => {
    expect(nodeVersionProblem('kubekit-elect', '18.0.0', manifestRequiring(undefined))).to.equal(undefined);
  });

  it("reads the package's own engines.node", () => {
    expect(nodeVersionProblem('kubekit-elect', '20.1.0', manifest)).to.contain(
      'needs Node.js 22.19 or newer',
    );
    expect(nodeVersionProblem('kubekit-elect', process.versions.node, manifest)).to.equal(undefined);
  });

  it('the bin run by this Node answers --help', () => {
    const result = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(result.status).to.equal(0);
    expect(result.stdout).to.contain('Usage: kubekit-elect');
  });

  it('the bin run by an older system Node exits 1 with one line naming the version', function () {
    const old = '/usr/bin/node';
    const version = existsSync(old) ? spawnSync(old, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
    if (version === '' || nodeVersionProblem('kubekit-elect', version.slice(1), manifest) === undefined) {
      this.skip();
    }
    const result = spawnSync(old, [bin, '--help'], { encoding: 'utf8' });
    expect(result.status).to.equal(1);
    expect(result.stdout).to.equal('');
    expect(result.stderr.trim().split('\n')).to.have.length(1);
    expect(result.stderr).to.contain(`needs Node.js 22.19 or newer, but this is Node.js ${version.slice(1)}`);
  });
});
