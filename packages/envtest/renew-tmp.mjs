// Lease renewals (GET + PUT as read) on an envtest child process, tracked or stripped managedFields.
// NODE_OPTIONS=--cpu-prof profiles the server too. Usage: node renew.mjs <worktree> tracked|stripped|both
import { pathToFileURL } from 'node:url';
const [root, mode = 'both'] = process.argv.slice(2);
const { RawClient, startServerProcess, processCpuUs } = await import(pathToFileURL(`${root}/packages/envtest/dist-test/bench/support.js`));
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { KubeConfig } from '@kubernetes/client-node';
let env;
if (process.env.PROF) {
  const cli = `${root}/packages/envtest/dist/bin/kubekit-envtest.js`;
  const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', process.env.PROF, cli, '--kubeconfig-out', `/tmp/sc2/kc-${process.pid}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  const ready = JSON.parse(line); const kubeConfig = new KubeConfig(); kubeConfig.loadFromFile(ready.kubeconfig);
  env = { url: ready.url, kubeConfig, pid: child.pid, stop: async () => { const e = once(child, 'exit'); child.kill('SIGTERM'); await e; } };
} else env = await startServerProcess();
const client = new RawClient(env, 32);
for (const prefix of ['tracked', 'stripped']) for (let i = 0; i < 16; i++) await client.send('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', { metadata: { name: `${prefix}-${i}` }, spec: { holderIdentity: 'bench', leaseDurationSeconds: 15 } });
async function window(prefix, ms) {
  const strip = prefix === 'stripped'; let n = 0; const deadline = performance.now() + ms; const cpu0 = await processCpuUs(env.pid);
  await Promise.all(Array.from({ length: 16 }, async (_, i) => { const path = `/apis/coordination.k8s.io/v1/namespaces/default/leases/${prefix}-${i}`;
    while (performance.now() < deadline) { const lease = (await client.send('GET', path)).json; lease.spec.renewTime = new Date().toISOString().replace('Z', '000Z'); if (strip) lease.metadata.managedFields = [{}]; const w = await client.send('PUT', path, lease); if (w.status !== 200) throw new Error(String(w.status)); n += 2; } }));
  globalThis.total = (globalThis.total ?? 0) + n; return ((await processCpuUs(env.pid)) - cpu0) / n;
}
const res = { tracked: [], stripped: [] }; 
for (let r = 0; r < Number(process.env.W ?? 4); r++) for (const p of mode === 'both' ? ['tracked', 'stripped'] : [mode]) res[p].push(await window(p, 1000));
console.log('requests', globalThis.total); console.log(JSON.stringify(Object.fromEntries(Object.entries(res).map(([k, v]) => [k, v.map((x) => x.toFixed(1))]))));
client.close(); await env.stop();
