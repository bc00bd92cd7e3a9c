import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import type { User } from '@kubernetes/client-node';
import { KubeClientError } from '@kubekit/client';
import { Authenticator } from '#lib/transport/authenticator.js';
import { kubeConfigWith } from '../support/kube-configs.js';
import { rejectionOf } from '../support/rejection.js';
import { VirtualClock } from '../support/virtual-clock.js';

/** A KubeConfig whose user is authenticated by `authenticate` (client-node's custom authenticator hook). */
function kubeConfigAuthenticatedBy(authenticate: () => Promise<string>): KubeConfig {
  const kubeConfig = kubeConfigWith(
    { name: 'c', server: 'https://10.0.0.1:6443/prefix/', skipTLSVerify: true },
    { name: 'custom-user', impersonateUser: 'alice' },
  );
  kubeConfig.addAuthenticator({
    isAuthProvider: (user: User) => user.name === 'custom-user',
    applyAuthentication: async (_user: User, options: { headers?: Record<string, unknown> }) => {
      options.headers = { ...options.headers, Authorization: `Bearer ${await authenticate()}` };
    },
  });
  return kubeConfig;
}

describe('Authenticator', () => {
  describe('.get', () => {
    it('authenticates once for concurrent requests and keeps the result for cacheMs', async () => {
      let runs = 0;
      const clock = new VirtualClock();
      const auth = new Authenticator(
        kubeConfigAuthenticatedBy(async () => {
          runs += 1;
          await new Promise((r) => setTimeout(r, 10));
          return `t${runs}`;
        }),
        { cacheMs: 1000, timeoutMs: 5000, clock },
      );
      const [a, b] = await Promise.all([auth.get(), auth.get()]);
      expect(a).to.equal(b);
      expect(runs).to.equal(1);
      expect(a.headers).to.include({ Authorization: 'Bearer t1', 'Impersonate-User': 'alice' });
      expect(a).to.include({ origin: 'https://10.0.0.1:6443', basePath: '/prefix', host: '10.0.0.1:6443' });
      expect(a.tls).to.deep.equal({ rejectUnauthorized: false });
      clock.advance(999);
      expect(await auth.get()).to.equal(a);
      clock.advance(1);
      expect((await auth.get()).headers['Authorization']).to.equal('Bearer t2');
    });

    it('authenticates afresh after invalidate', async () => {
      let runs = 0;
      const auth = new Authenticator(
        kubeConfigAuthenticatedBy(() => Promise.resolve(`t${++runs}`)),
        {
          cacheMs: 1000,
          timeoutMs: 5000,
          clock: new VirtualClock(),
        },
      );
      const first = await auth.get();
      auth.invalidate(first);
      expect((await auth.get()).headers['Authorization']).to.equal('Bearer t2');
    });

    it('fails with kind auth and keeps no failure', async () => {
      let fail = true;
      const auth = new Authenticator(
        kubeConfigAuthenticatedBy(() =>
          fail ? Promise.reject(new Error('no credentials')) : Promise.resolve('ok'),
        ),
        { cacheMs: 1000, timeoutMs: 5000, clock: new VirtualClock() },
      );
      const error = await rejectionOf(auth.get());
      expect(KubeClientError.is(error, 'auth')).to.be.true;
      expect(String(error)).to.include('no credentials');
      fail = false;
      expect((await auth.get()).headers['Authorization']).to.equal('Bearer ok');
    });

    it('fails with kind authTimeout when authentication hangs, and a waiting caller with aborted on abort', async () => {
      let release: () => void = () => undefined;
      const auth = new Authenticator(
        kubeConfigAuthenticatedBy(
          () =>
            new Promise<string>((resolve) => {
              release = () => {
                resolve('late');
              };
            }),
        ),
        { cacheMs: 1000, timeoutMs: 50, clock: new VirtualClock() },
      );
      const stop = new AbortController();
      const aborted = rejectionOf(auth.get(stop.signal));
      stop.abort();
      expect(KubeClientError.is(await aborted, 'aborted')).to.be.true;
      const error = await rejectionOf(auth.get());
      expect(KubeClientError.is(error, 'authTimeout')).to.be.true;
      release();
    });

    it('rejects a kubeconfig without a current cluster, or with an invalid server URL', async () => {
      const empty = new Authenticator(new KubeConfig(), {
        cacheMs: 1,
        timeoutMs: 1000,
        clock: new VirtualClock(),
      });
      expect(KubeClientError.is(await rejectionOf(empty.get()), 'invalidArgument')).to.be.true;
      const bad = new Authenticator(
        kubeConfigWith({ name: 'c', server: 'not a url', skipTLSVerify: true }, { name: 'u' }),
        {
          cacheMs: 1,
          timeoutMs: 1000,
          clock: new VirtualClock(),
        },
      );
      expect(KubeClientError.is(await rejectionOf(bad.get()), 'invalidArgument')).to.be.true;
    });

    it('sends basic auth as an Authorization header', async () => {
      const auth = new Authenticator(
        kubeConfigWith(
          { name: 'c', server: 'https://h', skipTLSVerify: true },
          { name: 'u', username: 'me', password: 'pw' },
        ),
        { cacheMs: 1, timeoutMs: 1000, clock: new VirtualClock() },
      );
      expect((await auth.get()).headers['Authorization']).to.equal(
        `Basic ${Buffer.from('me:pw').toString('base64')}`,
      );
    });
  });
});
