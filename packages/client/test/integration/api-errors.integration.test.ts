import { expect } from 'chai';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import {
  createClient,
  isAlreadyExists,
  isBadRequest,
  isConflict,
  isExpired,
  isForbidden,
  isGone,
  isInternalError,
  isInvalid,
  isMethodNotSupported,
  isNotAcceptable,
  isNotFound,
  isRequestEntityTooLarge,
  isServerTimeout,
  isServiceUnavailable,
  isTimeout,
  isTooManyRequests,
  isUnauthorized,
  isUnsupportedMediaType,
  KubeClientError,
} from '@kubekit/client';
import type { KubeClient } from '@kubekit/client';
import { clusterOf, kubeConfigWith } from '../support/kube-configs.js';
import { rejectionOf } from '../support/rejection.js';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';

const helpers = {
  isAlreadyExists,
  isBadRequest,
  isConflict,
  isExpired,
  isForbidden,
  isGone,
  isInternalError,
  isInvalid,
  isMethodNotSupported,
  isNotAcceptable,
  isNotFound,
  isRequestEntityTooLarge,
  isServerTimeout,
  isServiceUnavailable,
  isTimeout,
  isTooManyRequests,
  isUnauthorized,
  isUnsupportedMediaType,
};

/** The helpers that say yes to `error`. */
function matching(error: unknown): string[] {
  return Object.entries(helpers)
    .filter(([, is]) => is(error))
    .map(([name]) => name);
}

for (const protocol of PROTOCOLS) {
  describe(`API errors from envtest over ${protocol} (integration)`, function () {
    // A watch from a resourceVersion not reached yet ends after 200 ms instead of 3 s.
    const env = useEnvtestOver(protocol, { futureResourceVersionWaitMs: 200 });
    let client: KubeClient;

    beforeEach(() => {
      client = createClient({ kubeConfig: env.kubeConfig, metrics: null, rateLimit: false, maxRetries: 0 });
    });
    afterEach(async () => {
      await client.close();
    });

    const cm = (name: string, extra: Partial<ConfigMap> = {}): ConfigMap => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: env.namespace },
      ...extra,
    });
    const cmRef = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace, name });

    async function expectOnly(
      promise: Promise<unknown>,
      helper: keyof typeof helpers,
      code: number,
    ): Promise<KubeClientError> {
      const error = await rejectionOf(promise);
      expect(KubeClientError.is(error, 'api'), String(error)).to.be.true;
      expect(matching(error)).to.deep.equal([helper]);
      expect((error as KubeClientError).code).to.equal(code);
      return error as KubeClientError;
    }

    it('404 NotFound', async () => {
      await expectOnly(client.get(cmRef('nope')), 'isNotFound', 404);
    });

    it('409 AlreadyExists and 409 Conflict are told apart', async () => {
      const created = await client.create(cm('a'));
      await expectOnly(client.create(cm('a')), 'isAlreadyExists', 409);
      await client.update({ ...created, data: { k: 'v' } });
      await expectOnly(client.update({ ...created, data: { k: 'w' } }), 'isConflict', 409);
    });

    it('422 Invalid, with causes', async () => {
      const error = await expectOnly(client.create(cm('Not_A_Name')), 'isInvalid', 422);
      expect(error.causes.length).to.be.greaterThan(0);
      expect(error.details?.kind).to.equal('ConfigMap');
    });

    it('400 BadRequest', async () => {
      await expectOnly(
        client.list(
          { apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace },
          { fieldSelector: 'spec.nope=x' },
        ),
        'isBadRequest',
        400,
      );
    });

    it('401 Unauthorized (after one fresh authentication)', async () => {
      const stranger = createClient({
        kubeConfig: kubeConfigWith(clusterOf(env.kubeConfig), { name: 'x', token: 'not-a-token' }),
        metrics: null,
      });
      try {
        await expectOnly(stranger.get(cmRef('a')), 'isUnauthorized', 401);
      } finally {
        await stranger.close();
      }
    });

    it('403 Forbidden (a fault), 405 MethodNotAllowed, 413 RequestEntityTooLarge, 415 UnsupportedMediaType', async () => {
      env.faults.add({ verb: 'get', resource: 'configmaps', error: { code: 403 }, times: 1 });
      await expectOnly(client.get(cmRef('a')), 'isForbidden', 403);
      await expectOnly(
        client.transport.json({ method: 'OPTIONS', path: `/api/v1/namespaces/${env.namespace}/configmaps` }),
        'isMethodNotSupported',
        405,
      );
      await expectOnly(
        client.create(cm('big', { data: { k: 'x'.repeat(4 * 1024 * 1024) } })),
        'isRequestEntityTooLarge',
        413,
      );
      await client.create(cm('a'));
      await expectOnly(
        client.transport.json({
          method: 'PATCH',
          path: `/api/v1/namespaces/${env.namespace}/configmaps/a`,
          body: '{}',
          contentType: 'text/plain',
        }),
        'isUnsupportedMediaType',
        415,
      );
    });

    it('500 without a reason (a create with a resourceVersion), and 500 InternalError', async () => {
      const error = await expectOnly(
        client.create(cm('a', { metadata: { name: 'a', namespace: env.namespace, resourceVersion: '5' } })),
        'isInternalError',
        500,
      );
      expect(error.reason).to.equal('');
      env.faults.add({ verb: 'get', resource: 'configmaps', error: { code: 500 }, times: 1 });
      await expectOnly(client.get(cmRef('a')), 'isInternalError', 500);
    });

    it('503 ServiceUnavailable, 504 Timeout and 429 TooManyRequests with retryAfter (no retries left)', async () => {
      env.faults.add({ verb: 'get', resource: 'configmaps', error: { code: 503 }, times: 1 });
      await expectOnly(client.get(cmRef('a')), 'isServiceUnavailable', 503);
      env.faults.add({ verb: 'get', resource: 'configmaps', error: { code: 504 }, times: 1 });
      await expectOnly(client.get(cmRef('a')), 'isTimeout', 504);
      env.faults.add({
        verb: 'get',
        resource: 'configmaps',
        error: { code: 429, retryAfterSeconds: 7 },
        times: 1,
      });
      const error = await expectOnly(client.get(cmRef('a')), 'isTooManyRequests', 429);
      expect(error.retryAfter).to.equal(7);
    });

    it('410 Expired, also in the middle of paging', async () => {
      for (const name of ['a', 'b', 'c']) await client.create(cm(name));
      const kind = { apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace };
      env.faults.add({ verb: 'list', resource: 'configmaps', error: { code: 410 }, times: 1 });
      await expectOnly(client.list(kind), 'isExpired', 410);
      const pages = client.listPages(kind, { pageSize: 1 });
      const names: string[] = [];
      const paging = (async () => {
        for await (const page of pages) {
          names.push(...page.items.map((i) => i.metadata?.name ?? ''));
          env.faults.add({ verb: 'list', resource: 'configmaps', error: { code: 410 }, times: 1 });
        }
      })();
      await expectOnly(paging, 'isExpired', 410);
      expect(names).to.deep.equal(['a']);
    });

    it('406 NotAcceptable: a list asked for as PartialObjectMetadata instead of PartialObjectMetadataList', async () => {
      await client.create(cm('a'));
      await expectOnly(
        client.transport.json({
          method: 'GET',
          path: `/api/v1/namespaces/${env.namespace}/configmaps`,
          accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1',
        }),
        'isNotAcceptable',
        406,
      );
    });

    it('502 with reason Unknown matches no helper (apimachinery judges an unknown reason by its code)', async () => {
      env.faults.add({ verb: 'get', resource: 'configmaps', error: { code: 502 }, times: 1 });
      const error = await rejectionOf(client.get(cmRef('a')));
      expect(KubeClientError.is(error, 'api'), String(error)).to.be.true;
      expect((error as KubeClientError).code).to.equal(502);
      expect((error as KubeClientError).reason).to.equal('Unknown');
      expect(matching(error)).to.deep.equal([]);
    });

    it('504 Timeout ERROR event of a watch from a resourceVersion not reached yet (ResourceVersionTooLarge), retryAfter 1', async () => {
      const created = await client.create(cm('a'));
      const future = String(Number(created.metadata?.resourceVersion) + 1_000_000);
      const watch = client.watch(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace },
        { resourceVersion: future },
      );
      const error = await expectOnly(
        (async () => {
          for await (const event of watch) throw new Error(`unexpected ${event.type}`);
        })(),
        'isTimeout',
        504,
      );
      expect(error.reason).to.equal('Timeout');
      expect(error.retryAfter).to.equal(1);
      expect(error.causes.map((c) => c.reason)).to.deep.equal(['ResourceVersionTooLarge']);
    });

    it('leaves errors that are not API errors alone', () => {
      expect(matching(new Error('x'))).to.deep.equal([]);
      expect(matching(new KubeClientError('network', 'x'))).to.deep.equal([]);
      expect(matching(undefined)).to.deep.equal([]);
    });
  });
}
