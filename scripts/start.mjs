// `npm start` will run the failover demo: several replicas of an example operator electing a
// leader on the embedded API server, one of them killed, the takeover timed and printed. The demo
// lands with the example operator; until then this says so instead of pretending.
console.log(`kubekit: the failover demo is not built yet.

When it lands, \`npm start\` will:
  1. start the embedded Kubernetes API server (@kubekit/envtest) on 127.0.0.1,
  2. start three replicas of an example operator, each campaigning for one Lease,
  3. show which replica leads and that only it reconciles,
  4. kill the leader, then release a lease voluntarily, timing each takeover,
  5. print the figures and stop everything it started.

Meanwhile: \`npm test\` runs every test, \`npm run bench\` every benchmark.`);
