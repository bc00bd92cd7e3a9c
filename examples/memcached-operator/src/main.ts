#!/usr/bin/env node
// The operator as an OS process: `node dist/src/main.js [options]` (deploy/deployment.yaml runs it
// in a Pod). Logs JSON lines on stdout; exits 0 after a clean stop (SIGTERM/SIGINT), 1 on a
// failure or a lost leadership (with the default --on-leadership-lost exit), 2 on bad arguments.
import 'reflect-metadata';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { setupSignalHandler } from '@kubekit/manager';
import { Registry } from 'prom-client';
import { jsonLogger } from './json-logger.js';
import { createOperator } from './operator.js';
import { OperatorError } from './operator-error.js';
import { ReconcileLog, preciseNow } from './reconcile-log.js';

const usage = `memcached-operator [options]
  --kubeconfig PATH                 (default: $KUBECONFIG, ~/.kube/config, or in-cluster)
  --context NAME                    kubeconfig context (default: the current one)
  --identity NAME                   (default: $POD_NAME, else the host name)
  --namespace NS                    of the Lease (default: $POD_NAMESPACE, else the context's, else default)
  --lease-name NAME                 (default: memcached-operator)
  --lease-duration MS, --renew-deadline MS, --retry-period MS   (default: 15000, 10000, 2000)
  --health-probe-bind-address ADDR  (default: :8081; "off" for none)
  --metrics-bind-address ADDR       (default: :8080; "off" for none)
  --on-leadership-lost exit|recampaign   (default: exit)
  --resync MS                       reconcile every Memcached again this often (default: never)
  --reconcile-log PATH              append a JSON line per reconcile begin/end (for the demo)`;

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      identity: { type: 'string' },
      namespace: { type: 'string' },
      'lease-name': { type: 'string', default: 'memcached-operator' },
      'lease-duration': { type: 'string', default: '15000' },
      'renew-deadline': { type: 'string', default: '10000' },
      'retry-period': { type: 'string', default: '2000' },
      'health-probe-bind-address': { type: 'string', default: ':8081' },
      'metrics-bind-address': { type: 'string', default: ':8080' },
      'on-leadership-lost': { type: 'string', default: 'exit' },
      resync: { type: 'string' },
      'reconcile-log': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const ms = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0)
      throw new OperatorError(
        'invalidArguments',
        `--${name} must be a positive number of milliseconds, not ${value}`,
      );
    return n;
  };
  const lost = values['on-leadership-lost'];
  if (lost !== 'exit' && lost !== 'recampaign')
    throw new OperatorError(
      'invalidArguments',
      `--on-leadership-lost must be exit or recampaign, not ${lost}`,
    );
  const timings = {
    leaseDuration: ms('lease-duration', values['lease-duration']) ?? 15_000,
    renewDeadline: ms('renew-deadline', values['renew-deadline']) ?? 10_000,
    retryPeriod: ms('retry-period', values['retry-period']) ?? 2_000,
  };
  return { values, timings, resync: ms('resync', values.resync), lost } as const;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  const { values, timings, resync, lost } = parsed;
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const kubeConfig = new KubeConfig();
  try {
    if (values.kubeconfig !== undefined) kubeConfig.loadFromFile(values.kubeconfig);
    else kubeConfig.loadFromDefault();
    if (values.context !== undefined) kubeConfig.setCurrentContext(values.context);
  } catch (error) {
    console.error(
      `cannot load kubeconfig ${values.kubeconfig ?? '(default)'}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 2;
  }
  const identity = values.identity ?? process.env['POD_NAME'] ?? hostname();
  const namespace =
    values.namespace ??
    process.env['POD_NAMESPACE'] ??
    kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ??
    'default';
  const logger = jsonLogger({ replica: identity });
  const address = (value: string): string | undefined => (value === 'off' ? undefined : value);
  const health = address(values['health-probe-bind-address']);
  const metrics = address(values['metrics-bind-address']);
  const reconcileLog = values['reconcile-log'];

  let operator;
  try {
    operator = createOperator({
      kubeConfig,
      logger,
      registry: new Registry(),
      manager: {
        leaderElection: {
          name: values['lease-name'],
          namespace,
          identity,
          ...timings,
        },
        onLeadershipLost: lost,
        ...(health === undefined ? {} : { healthProbeBindAddress: health }),
        ...(metrics === undefined ? {} : { metricsBindAddress: metrics }),
      },
      ...(resync === undefined ? {} : { reconciler: { resyncMs: resync } }),
      ...(reconcileLog === undefined ? {} : { observer: new ReconcileLog(reconcileLog, identity) }),
    });
  } catch (error) {
    // e.g. ManagerError invalidConfig: timings that do not hold leaseDuration > renewDeadline > 1.2 × retryPeriod
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  const { manager } = operator;
  // One line per leadership change, with the time it was seen (the demo's timeline reads these).
  manager.leadership$.subscribe((leadership) => {
    if (leadership.leading)
      logger.info({ event: 'leading', epoch: leadership.term.epoch, at: preciseNow() }, 'leading');
    else logger.info({ event: 'following', at: preciseNow() }, 'not leading');
  });
  const signal = setupSignalHandler();
  const started = manager.start(signal);
  logger.info(
    { event: 'started', identity, namespace, pid: process.pid, at: preciseNow() },
    'manager starting',
  );
  try {
    await started;
    logger.info({ event: 'stopped', at: preciseNow() }, 'manager stopped');
    return 0;
  } catch (error) {
    logger.error({ event: 'failed', err: error, at: preciseNow() }, 'manager failed');
    return 1;
  } finally {
    await operator.close();
  }
}

process.exitCode = await main();
