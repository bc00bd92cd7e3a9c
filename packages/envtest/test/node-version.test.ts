import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { nodeVersionProblem, requiredNodeVersion, satisfiesMinimum } from '#lib/node-version.js';

const packageJson = createRequire(import.meta.url).resolve('@kubekit/envtest/package.json');
const bin = packageJson.replace(/package\.json$/, 'dist/bin/kubekit-envtest.js');

describe('Node version check of the bins', () => {
  describe('satisfiesMinimum', () => {
    it('compares major, minor and patch numerically', () => {
      expect(satisfiesMinimum('22.19.0', '22.19')).to.equal(true);
      expect(satisfiesMinimum('24.0.0', '22.19')).to.equal(true);
      expect(satisfiesMinimum('22.9.0', '22.19')).to.equal(false);
      expect(satisfiesMinimum('20.20.2', '22.19')).to.equal(false);
      expect(satisfiesMinimum('22.19.1', '22.19.2')).to.equal(false);
    });
  });

  it('reads the minimum from engines.node of the package', () => {
    expect(requiredNodeVersion(new URL(`file://${packageJson}`))).to.equal('22.19');
  });

  it('names the version needed in one line', () => {
    const problem = nodeVersionProblem('kubekit-envtest', '20.1.0', '22.19');
    expect(problem).to.match(
      /^kubekit-envtest: needs Node\.js 22\.19 or newer, but this is Node\.js 20\.1\.0/,
    );
    expect(problem).not.to.contain('\n');
    expect(nodeVersionProblem('kubekit-envtest', '24.1.0', '22.19')).to.equal(undefined);
  });

  it('kubekit-envtest run by this Node answers --help', () => {
    const result = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(result.status).to.equal(0);
    expect(result.stdout).to.contain('usage: kubekit-envtest');
  });

  it('kubekit-envtest run by an older system Node exits 1 with one line naming the version', function () {
    const old = '/usr/bin/node';
    const version = existsSync(old) ? spawnSync(old, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
    if (version === '' || satisfiesMinimum(version.slice(1), '22.19')) this.skip();
    const result = spawnSync(old, [bin, '--help'], { encoding: 'utf8' });
    expect(result.status).to.equal(1);
    expect(result.stdout).to.equal('');
    expect(result.stderr.trim().split('\n')).to.have.length(1);
    expect(result.stderr).to.contain(`needs Node.js 22.19 or newer, but this is Node.js ${version.slice(1)}`);
  });
});
