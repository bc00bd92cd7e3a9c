import { expect } from 'chai';
import { createClient, isExpired, KubeClientError } from '@kubekit/client';
import type { KubeClient } from '@kubekit/client';
import { rejectionOf } from '../support/rejection.js';
import { startRecordingServer } from '../support/recording-server.js';
import type { Answer, Recorded } from '../support/recording-server.js';
import { VirtualClock } from '../support/virtual-clock.js';

describe('KubeClient (against a recording server)', () => {
  let server: Awaited<ReturnType<typeof startRecordingServer>>;
  let client: KubeClient;
  let answer: (request: Recorded) => Answer;
  let clock: VirtualClock;

  beforeEach(async () => {
    answer = () => ({ status: 200, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } } });
    server = await startRecordingServer((request) => answer(request));
    clock = new VirtualClock(true);
    client = createClient({ kubeConfig: server.kubeConfig, metrics: null, rateLimit: false, clock });
  });
  afterEach(async () => {
    await client.close(false);
    await server.close();
  });

  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } };
  const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'a' };

  describe('.apply', () => {
    it('sends a server-side apply PATCH with fieldManager and force', async () => {
      await client.apply(cm, { fieldManager: 'me', force: true, dryRun: true });
      const [request] = server.requests;
      expect(request?.method).to.equal('PATCH');
      expect(request?.url).to.equal(
        '/api/v1/namespaces/ns/configmaps/a?dryRun=All&fieldManager=me&force=true',
      );
      expect(request?.headers['content-type']).to.equal('application/apply-patch+yaml');
      expect(JSON.parse(request?.body ?? '')).to.deep.equal(cm);
      expect(request?.headers.authorization).to.equal('Bearer secret');
      expect(request?.headers['user-agent']).to.equal('kubekit-client');
    });

    it('rejects objects without apiVersion, kind or name before any request', async () => {
      for (const object of [
        { kind: 'ConfigMap', metadata: { name: 'a' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
      ]) {
        const error = await rejectionOf(client.apply(object, { fieldManager: 'me' }));
        expect(KubeClientError.is(error, 'invalidArgument'), String(error)).to.be.true;
      }
      expect(server.requests).to.deep.equal([]);
    });
  });

  describe('requests', () => {
    it('sends patch types, delete options and cluster-scoped paths as kube-apiserver expects', async () => {
      await client.patch(ref, [{ op: 'add', path: '/data', value: {} }], {
        type: 'json',
        fieldManager: 'me',
      });
      await client.patch(ref, { data: {} }, { type: 'strategic' });
      await client.delete(ref, {
        preconditions: { uid: 'u' },
        propagationPolicy: 'Orphan',
        gracePeriodSeconds: 0,
        dryRun: true,
      });
      await client.deleteCollection(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' },
        { labelSelector: 'a=b' },
      );
      await client.updateStatus({
        apiVersion: 'v1',
        kind: 'Widget',
        metadata: { name: 'w', namespace: 'ignored' },
      });
      const seen = server.requests.map((r) => `${r.method} ${r.url} ${r.headers['content-type'] ?? ''}`);
      expect(seen).to.deep.equal([
        'PATCH /api/v1/namespaces/ns/configmaps/a?fieldManager=me application/json-patch+json',
        'PATCH /api/v1/namespaces/ns/configmaps/a application/strategic-merge-patch+json',
        'DELETE /api/v1/namespaces/ns/configmaps/a application/json',
        'DELETE /api/v1/namespaces/ns/configmaps?labelSelector=a%3Db ',
        'PUT /api/v1/widgets/w/status application/json',
      ]);
      expect(JSON.parse(server.requests[2]?.body ?? '')).to.deep.equal({
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        preconditions: { uid: 'u' },
        propagationPolicy: 'Orphan',
        gracePeriodSeconds: 0,
        dryRun: ['All'],
      });
    });

    it('sends an idempotent GET again after a 5xx with Retry-After, but not a POST', async () => {
      let failures = 2;
      answer = (request) =>
        failures-- > 0
          ? {
              status: 503,
              body: { kind: 'Status', code: 503, reason: 'ServiceUnavailable' },
              headers: { 'retry-after': '3' },
            }
          : { status: request.method === 'POST' ? 201 : 200, body: cm };
      await client.get(ref);
      expect(server.requests.map((r) => r.method)).to.deep.equal(['GET', 'GET', 'GET']);
      expect(clock.sleeps).to.deep.equal([3000, 3000]);
      failures = 1;
      const error = await rejectionOf(client.create(cm));
      expect((error as KubeClientError).code).to.equal(503);
      expect(server.requests.map((r) => r.method)).to.deep.equal(['GET', 'GET', 'GET', 'POST']);
    });

    it('caps a long Retry-After at maxRetryAfterMs, and uses defaultRetryAfterMs without one', async () => {
      let failures = 2;
      answer = () =>
        failures-- === 2
          ? { status: 429, body: {}, headers: { 'retry-after': '3600' } }
          : failures >= 0
            ? { status: 429, body: 'slow down' }
            : { status: 200, body: cm };
      await client.get(ref);
      expect(clock.sleeps).to.deep.equal([30_000, 1000]);
    });

    it('fails with invalidResponse on a 2xx that is not JSON, and keeps a non-Status error body in the message', async () => {
      answer = () => ({ status: 200, body: '<html>' });
      expect(KubeClientError.is(await rejectionOf(client.get(ref)), 'invalidResponse')).to.be.true;
      answer = () => ({ status: 502, body: 'bad gateway from a proxy' });
      const error = await rejectionOf(client.get(ref));
      expect(KubeClientError.is(error, 'api')).to.be.true;
      expect((error as KubeClientError).reason).to.equal('');
      expect(String(error)).to.include('bad gateway from a proxy');
    });

    it('fails with kind closed after close', async () => {
      await client.close();
      expect(KubeClientError.is(await rejectionOf(client.get(ref)), 'closed')).to.be.true;
    });
  });

  describe('.listAll', () => {
    it('reads the whole list again when a continue token expires, as client-go', async () => {
      answer = (request) => {
        const url = new URL(request.url, 'http://x');
        if (url.searchParams.get('continue') === 'page2') {
          return { status: 410, body: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' } };
        }
        const items = [{ metadata: { name: 'a' } }];
        if (url.searchParams.has('limit'))
          return { status: 200, body: { metadata: { resourceVersion: '5', continue: 'page2' }, items } };
        return {
          status: 200,
          body: { metadata: { resourceVersion: '9' }, items: [...items, { metadata: { name: 'b' } }] },
        };
      };
      const kind = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' };
      const all = await client.listAll(kind, { pageSize: 1 });
      expect(all.items.map((i) => i.metadata?.name)).to.deep.equal(['a', 'b']);
      expect(all.metadata).to.deep.equal({ resourceVersion: '9' });
      expect(server.requests.map((r) => r.url)).to.deep.equal([
        '/api/v1/namespaces/ns/configmaps?limit=1',
        '/api/v1/namespaces/ns/configmaps?limit=1&continue=page2',
        '/api/v1/namespaces/ns/configmaps',
      ]);
      const pages = rejectionOf(
        (async () => {
          for await (const _ of client.listPages(kind, { pageSize: 1 })) {
            // the second page fails
          }
        })(),
      );
      expect(isExpired(await pages)).to.be.true;
    });
  });

  describe('.watch', () => {
    it('sends the watch query: selectors, bookmarks, timeoutSeconds, sendInitialEvents', async () => {
      answer = () => ({ status: 200, body: '' });
      for await (const _ of client.watch(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'a' },
        {
          fieldSelector: 'x=y',
          labelSelector: 'l',
          allowWatchBookmarks: true,
          timeoutSeconds: 5,
          sendInitialEvents: true,
          inactivityTimeoutMs: 0, // the auto clock would let any timeout pass at once
        },
      )) {
        // the stream is empty
      }
      expect(server.requests[0]?.url).to.equal(
        '/api/v1/namespaces/ns/configmaps?watch=true&allowWatchBookmarks=true&labelSelector=l&fieldSelector=metadata.name%3Da%2Cx%3Dy&timeoutSeconds=5&sendInitialEvents=true&resourceVersionMatch=NotOlderThan',
      );
    });

    it('asks for PartialObjectMetadata events when metadataOnly', async () => {
      answer = () => ({ status: 200, body: '' });
      for await (const _ of client.watch(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' },
        { metadataOnly: true, inactivityTimeoutMs: 0 },
      )) {
        // the stream is empty
      }
      expect(server.requests[0]?.headers.accept).to.equal(
        'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1',
      );
    });
  });

  describe('metadataOnly and first-page resourceVersion', () => {
    const kind = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' };
    const list = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';

    it('sends the metadata Accept headers on get, list, listPages and listAll, JSON otherwise', async () => {
      answer = () => ({ status: 200, body: { metadata: { resourceVersion: '3' }, items: [] } });
      await client.get(ref, { metadataOnly: true });
      await client.list(kind, { metadataOnly: true });
      for await (const _ of client.listPages(kind, { metadataOnly: true })) {
        // one page
      }
      await client.listAll(kind, { metadataOnly: true });
      await client.list(kind);
      expect(server.requests.map((r) => r.headers.accept)).to.deep.equal([
        'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1',
        list,
        list,
        list,
        'application/json',
      ]);
    });

    it('sends resourceVersion and resourceVersionMatch on the first page only, and on the full re-read', async () => {
      answer = (request) => {
        const url = new URL(request.url, 'http://x');
        if (url.searchParams.get('continue') === 'page3') {
          return { status: 410, body: { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 } };
        }
        const next = url.searchParams.get('continue') === 'page2' ? 'page3' : 'page2';
        const cont = url.searchParams.has('limit') ? next : '';
        return { status: 200, body: { metadata: { resourceVersion: '5', continue: cont }, items: [{}] } };
      };
      const all = await client.listAll(kind, {
        pageSize: 1,
        resourceVersion: '0',
        resourceVersionMatch: 'NotOlderThan',
        metadataOnly: true,
      });
      expect(all.items).to.have.length(1);
      expect(server.requests.map((r) => r.url)).to.deep.equal([
        '/api/v1/namespaces/ns/configmaps?limit=1&resourceVersion=0&resourceVersionMatch=NotOlderThan',
        '/api/v1/namespaces/ns/configmaps?limit=1&continue=page2',
        '/api/v1/namespaces/ns/configmaps?limit=1&continue=page3',
        '/api/v1/namespaces/ns/configmaps?resourceVersion=0&resourceVersionMatch=NotOlderThan',
      ]);
      expect(server.requests.every((r) => r.headers.accept === list)).to.be.true;
    });
  });
});
