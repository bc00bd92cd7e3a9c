import { pathToFileURL } from 'node:url';
const root = process.argv[2];
const { RawClient } = await import(pathToFileURL(`${root}/packages/envtest/dist-test/bench/support.js`));
const { startEnvtest } = await import(pathToFileURL(`${root}/packages/envtest/dist/index.js`));
const env = await startEnvtest({ http1Only: process.env.H1 === '1' });
const endpoint = { url: env.kubeConfig.getCurrentCluster().server, kubeConfig: env.kubeConfig };
const client = new RawClient(endpoint, 4);
const path = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
let lease = (await client.send('POST', path, { metadata: { name: 'lock' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } })).json;
let waiting; const closers = [];
for (let i = 0; i < 100; i++) closers.push(await client.watch(`${path}?watch=true&fieldSelector=metadata.name%3Dlock&resourceVersion=${lease.metadata.resourceVersion}`, (line) => { const c = waiting; if (!c || !line.includes(`"resourceVersion":"${c.rv}"`)) return; if (--c.pending === 0) c.resolve(performance.now() - c.sent); }));
const lat = [];
for (let i = 0; i < Number(process.env.N ?? 1000); i++) {
  lease.spec.holderIdentity = `holder-${i}`; const sent = performance.now(); let resolve; const reached = new Promise((r) => (resolve = r));
  waiting = { rv: String(Number(lease.metadata.resourceVersion) + 1), sent, pending: 100, resolve };
  lease = (await client.send('PUT', `${path}/lock`, lease)).json; lat.push(await reached); await new Promise((r) => setTimeout(r, 5));
}
lat.sort((a, b) => a - b); console.log('p50', lat[lat.length >> 1].toFixed(2), 'p99', lat[Math.floor(lat.length * 0.99)].toFixed(2));
for (const c of closers) c(); client.close(); await env.stop();
