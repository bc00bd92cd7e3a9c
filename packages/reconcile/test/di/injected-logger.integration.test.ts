import 'reflect-metadata';
import { expect } from 'chai';
import { createClient } from '@kubekit/client';
import { useEnvtest } from '@kubekit/envtest/testing';
import { LOGGER, MANAGER, managerModule } from '@kubekit/manager';
import {
  controller,
  RECONCILER,
  reconcileModule,
  type Logger,
  type Reconciler,
  type Request,
  type Result,
} from '@kubekit/reconcile';
import { Container, inject, injectable } from 'inversify';
import { Registry } from 'prom-client';
import { eventually } from '../support/eventually.js';

interface Line {
  readonly level: keyof Logger;
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** A Logger (pino's method shapes) that keeps every line. */
class RecordingLogger implements Logger {
  readonly lines: Line[] = [];
  debug(fields: object, message: string): void {
    this.lines.push({ level: 'debug', fields: { ...fields }, message });
  }
  info(fields: object, message: string): void {
    this.lines.push({ level: 'info', fields: { ...fields }, message });
  }
  warn(fields: object, message: string): void {
    this.lines.push({ level: 'warn', fields: { ...fields }, message });
  }
  error(fields: object, message: string): void {
    this.lines.push({ level: 'error', fields: { ...fields }, message });
  }
}

@controller({ for: { apiVersion: 'v1', kind: 'ConfigMap' }, name: 'logged' })
@injectable()
class LoggingReconciler implements Reconciler {
  constructor(@inject(LOGGER) private readonly logger: Logger) {}

  reconcile(request: Request): Promise<Result> {
    this.logger.info({ controller: 'logged', request }, `reconciling ${request.namespace}/${request.name}`);
    return Promise.resolve({});
  }
}

describe('LOGGER injected into a @controller reconciler (integration)', function () {
  this.timeout(20_000);
  const env = useEnvtest();

  it('is the logger given to managerModule, which the controller built for the reconciler logs to as well', async () => {
    const logger = new RecordingLogger();
    const container = new Container();
    container.load(
      managerModule({ kubeConfig: env.kubeConfig, registry: new Registry(), leaderElection: false, logger }),
      reconcileModule(),
    );
    container.bind(RECONCILER).to(LoggingReconciler).inSingletonScope();
    const manager = container.get(MANAGER);
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    const admin = createClient({ kubeConfig: env.kubeConfig, metrics: null });
    try {
      await admin.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'app', namespace: env.namespace },
      });
      const reconciled = `reconciling ${env.namespace}/app`;
      await eventually(
        () => logger.lines.some((line) => line.message === reconciled),
        'the reconciler logged through the injected logger',
      );
      const line = logger.lines.find((l) => l.message === reconciled);
      expect(line?.level).to.equal('info');
      expect(line?.fields).to.deep.equal({
        controller: 'logged',
        request: { namespace: env.namespace, name: 'app' },
      });
      // The controller the container built logs to the same logger, under its name.
      expect(
        logger.lines.some((l) => l.message === 'starting workers' && l.fields['controller'] === 'logged'),
        'the controller logs to the same logger',
      ).to.equal(true);
    } finally {
      stop.abort();
      await running;
      await admin.close(false);
    }
  });
});
