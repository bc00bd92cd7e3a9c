// Start to ready (first request answered) and stop leaving no handle behind.
import { startEnvtest } from '@kubekit/envtest';
import { percentile, RawClient, report } from './support.js';

const RUNS = 20;

function openHandles(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind !== 'Timeout').length;
}

const baseline = openHandles();
const startTimes: number[] = [];
let leftOver = 0;
for (let run = 0; run < RUNS; run += 1) {
  const started = performance.now();
  const env = await startEnvtest({ users: ['a'] });
  const client = new RawClient(env, 2);
  const ready = await client.send('GET', '/readyz');
  if (ready.status !== 200) throw new Error(`readyz answered ${ready.status}`);
  startTimes.push(performance.now() - started);
  // Leave a keep-alive connection and an open watch for stop() to close.
  const closeWatch = await client.watch('/api/v1/namespaces/default/configmaps?watch=true', () => undefined);
  await env.stop();
  closeWatch();
  client.close();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 10));
  leftOver = Math.max(leftOver, openHandles() - baseline);
}
report('start-stop/start-to-ready-first', startTimes[0] ?? Number.NaN, 'ms', null);
report('start-stop/start-to-ready-p50', percentile(startTimes, 50), 'ms', '<= 100', { runs: RUNS });
report('start-stop/handles-left-after-stop', leftOver, 'count', '== 0', { runs: RUNS });
