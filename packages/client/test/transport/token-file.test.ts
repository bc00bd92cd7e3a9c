import { writeFileSync } from 'node:fs';
import { expect } from 'chai';
import { KubeClientError, loadKubeConfig } from '@kubekit/client';
import { TokenFile, tokenFileOf } from '#lib/transport/token-file.js';
import { tempDir } from '../support/kube-configs.js';
import { rejectionOf } from '../support/rejection.js';
import { VirtualClock } from '../support/virtual-clock.js';

describe('TokenFile', () => {
  it('reads a trimmed token, again after a minute or a reset; an empty file keeps the last token until a reset', async () => {
    const dir = tempDir();
    try {
      const path = dir.file('token');
      const clock = new VirtualClock();
      const file = new TokenFile(clock);
      writeFileSync(path, ' one\n');
      const first = await file.read(path);
      expect(first.token).to.equal('one');
      writeFileSync(path, 'two');
      clock.advance(59_999);
      expect(await file.read(path)).to.equal(first);
      clock.advance(1);
      expect((await file.read(path)).token).to.equal('two');
      writeFileSync(path, 'three');
      file.reset(await file.read(path));
      expect((await file.read(path)).token).to.equal('three');
      writeFileSync(path, '\n');
      clock.advance(60_000);
      expect((await file.read(path)).token).to.equal('three');
      // A refused token is not kept: after a reset the empty file is an error.
      file.reset(await file.read(path));
      expect(KubeClientError.is(await rejectionOf(file.read(path)), 'auth')).to.be.true;
    } finally {
      dir.remove();
    }
  });

  it('fails with kind auth when the file cannot be read and no token was read before', async () => {
    const error = await rejectionOf(new TokenFile(new VirtualClock()).read('/nonexistent/token'));
    expect(KubeClientError.is(error, 'auth'), String(error)).to.be.true;
  });

  it('finds the token file of an in-cluster user and of a user with tokenFile', () => {
    expect(
      tokenFileOf({ name: 'a', authProvider: { name: 'tokenFile', config: { tokenFile: '/t' } } }),
    ).to.equal('/t');
    expect(tokenFileOf({ name: 'b', tokenFile: '/u' } as never)).to.equal('/u');
    expect(tokenFileOf({ name: 'c', token: 'x' })).to.be.undefined;
  });

  it("loadKubeConfig records a token-file against the kubeconfig's folder, and fails with invalidArgument on a bad file", () => {
    const dir = tempDir();
    try {
      writeFileSync(dir.file('token'), 't');
      writeFileSync(
        dir.file('config'),
        [
          'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
          'users: [{name: u, user: {token-file: token}}, {name: v, user: {token: x}}]',
          'contexts: [{name: x, context: {cluster: c, user: u}}]',
          'current-context: x',
        ].join('\n'),
      );
      const kubeConfig = loadKubeConfig(dir.file('config'));
      expect(tokenFileOf(kubeConfig.getUser('u'))).to.equal(dir.file('token'));
      expect(kubeConfig.getUser('u')?.token).to.equal('t');
      expect(tokenFileOf(kubeConfig.getUser('v'))).to.be.undefined;
      writeFileSync(dir.file('bad'), 'users: [');
      for (const file of [dir.file('bad'), dir.file('missing')]) {
        let error: unknown;
        try {
          loadKubeConfig(file);
        } catch (caught: unknown) {
          error = caught;
        }
        expect(KubeClientError.is(error, 'invalidArgument'), String(error)).to.be.true;
      }
    } finally {
      dir.remove();
    }
  });
});
