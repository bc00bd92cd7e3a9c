import { startEnvtest } from '@kubekit/envtest';
import { RawClient, percentile } from '/work/main/packages/envtest/dist-test/bench/support.js';
const env = await startEnvtest();
const client = new RawClient(env, 4);
const path = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
let lease = (await client.send('POST', path, { metadata: { name: 'lock' }, spec: { holderIdentity: 'a' } }))
  .json;
const closers = [];
let waiting;
for (let i = 0; i < 100; i++)
  closers.push(
    await client.watch(
      `${path}?watch=true&fieldSelector=metadata.name%3Dlock&resourceVersion=${lease.metadata.resourceVersion}`,
      (line) => {
        if (waiting && line.includes(`"resourceVersion":"${waiting.rv}"`) && --waiting.pending === 0)
          waiting.resolve(performance.now() - waiting.sent);
      },
    ),
  );
const lat = [],
  put = [];
for (let i = 0; i < 330; i++) {
  lease.spec.holderIdentity = 'h' + i;
  let resolve;
  const p = new Promise((r) => (resolve = r));
  const sent = performance.now();
  waiting = { rv: String(Number(lease.metadata.resourceVersion) + 1), pending: 100, sent, resolve };
  lease = (await client.send('PUT', `${path}/lock`, lease)).json;
  put.push(performance.now() - sent);
  const l = await p;
  if (i >= 30) lat.push(l);
  await new Promise((r) => setTimeout(r, 5));
}
console.log(
  'in-process p50',
  percentile(lat, 50),
  'p99',
  percentile(lat, 99),
  'put p50',
  percentile(put, 50),
);
for (const c of closers) c();
client.close();
await env.stop();
