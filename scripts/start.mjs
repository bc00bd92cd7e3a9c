// `npm start`: the failover demo (examples/memcached-operator/src/demo). `npm run build` has run
// first (package.json); arguments after `--` go to the demo (`npm start -- --kubeconfig PATH`).
// It writes demo-report/report.json and demo-report/timeline.svg and exits 0 when the acceptance
// holds (see the example's README, "The failover demo").
await import('../examples/memcached-operator/dist/src/demo/demo-main.js');
