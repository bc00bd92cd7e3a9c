#!/usr/bin/env node
// The leader-for-life example as an OS process (deploy/operator.yaml runs it in a Pod):
// `node dist/src/main.js [--kubeconfig PATH] [--context NAME] [--namespace NS] [--lock-name NAME]`.
// It needs POD_NAME (the downward API) and its Pod in the namespace. One JSON line per event on
// stdout; exits 0 after SIGTERM/SIGINT, 1 on a failure (or when the lock was taken away), 2 on bad
// arguments or configuration.
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@kubekit/leaderelection';
import { setupSignalHandler } from '@kubekit/manager';
import { createStamper } from './stamper.js';

const usage = `leader-for-life-stamper [options]   (POD_NAME must name this process's Pod)
  --kubeconfig PATH   (default: $KUBECONFIG, ~/.kube/config, or in-cluster)
  --context NAME      kubeconfig context (default: the current one)
  --namespace NS      of the lock, the Pod and the ConfigMaps (default: $POD_NAMESPACE, else the context's)
  --lock-name NAME    (default: stamper-lock)
  --health-probe-bind-address ADDR   (default: :8081; "off" for none)`;

function log(fields: Record<string, unknown>, msg: string): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields, msg })}\n`);
}

const logger: Logger = {
  debug: () => undefined,
  info: (fields, msg) => {
    log({ level: 'info', ...fields }, msg);
  },
  warn: (fields, msg) => {
    log({ level: 'warn', ...fields }, msg);
  },
  error: (fields, msg) => {
    log({ level: 'error', ...fields }, msg);
  },
};

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        namespace: { type: 'string' },
        'lock-name': { type: 'string', default: 'stamper-lock' },
        'health-probe-bind-address': { type: 'string', default: ':8081' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`${messageOf(error)}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const kubeConfig = new KubeConfig();
  let manager;
  try {
    if (values.kubeconfig === undefined) kubeConfig.loadFromDefault();
    else kubeConfig.loadFromFile(values.kubeconfig);
    if (values.context !== undefined) kubeConfig.setCurrentContext(values.context);
    const namespace =
      values.namespace ??
      process.env['POD_NAMESPACE'] ??
      kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ??
      'default';
    const health = values['health-probe-bind-address'];
    manager = createStamper({
      kubeConfig,
      namespace,
      lockName: values['lock-name'],
      logger,
      ...(health === 'off' ? {} : { healthProbeBindAddress: health }),
    });
  } catch (error) {
    // e.g. no POD_NAME: the elector's LeaderElectionError notInCluster, inside a ManagerError
    console.error(`${messageOf(error)}\n\n${usage}`);
    return 2;
  }
  manager.leadership$.subscribe((leadership) => {
    if (leadership.leading) log({ event: 'leading', epoch: leadership.term.epoch }, 'leading');
  });
  try {
    await manager.start(setupSignalHandler());
    log({ event: 'stopped' }, 'stopped');
    return 0;
  } catch (error) {
    log({ event: 'failed', error: messageOf(error) }, 'manager failed');
    return 1;
  }
}

process.exitCode = await main();
