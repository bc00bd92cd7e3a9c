import { expect } from 'chai';
import { createClient, type KubeClient, type KubeObject } from '@kubekit/client';
import { useEnvtest } from '@kubekit/envtest/testing';
import { createEventRecorder, type EventRecorder, type EventRecorderOptions } from '@kubekit/reconcile';
import { Registry } from 'prom-client';
import { eventually } from '../support/eventually.js';
import { FakeClock } from '../support/fake-clock.js';

/** An events.k8s.io/v1 Event as read back. */
interface EventsV1 extends KubeObject {
  regarding?: { kind?: string; name?: string; namespace?: string; uid?: string };
  related?: { name?: string };
  reportingController?: string;
  reportingInstance?: string;
  action?: string;
  reason?: string;
  note?: string;
  type?: string;
  eventTime?: string;
  series?: { count?: number; lastObservedTime?: string };
}

/** A core/v1 Event as read back. */
interface CoreEvent extends KubeObject {
  involvedObject?: { name?: string };
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  source?: { component?: string };
  series?: { count?: number };
}

describe('EventRecorder', () => {
  const env = useEnvtest();
  let client: KubeClient;
  let registry: Registry;
  let controller: AbortController;
  let running: Promise<void> | undefined;
  let subject: KubeObject;
  const logged: { level: string; message: string; fields: object }[] = [];

  beforeEach(async () => {
    client = createClient({ kubeConfig: env.kubeConfig, metrics: null, rateLimit: false });
    registry = new Registry();
    controller = new AbortController();
    logged.length = 0;
    subject = await client.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'subject', namespace: env.namespace },
    });
  });

  afterEach(async () => {
    controller.abort();
    await running;
    running = undefined;
    await client.close(false);
  });

  function recorder(options: Partial<EventRecorderOptions> = {}, start = true): EventRecorder {
    const log =
      (level: string) =>
      (fields: object, message: string): void => {
        logged.push({ level, message, fields });
      };
    const made = createEventRecorder({
      client,
      reportingController: 'example.com/test-operator',
      reportingInstance: 'test-operator-0',
      metrics: registry,
      logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
      ...options,
    });
    if (start) running = made.start(controller.signal);
    return made;
  }

  async function eventsV1(): Promise<EventsV1[]> {
    return (
      await client.list<EventsV1>({ apiVersion: 'events.k8s.io/v1', kind: 'Event', namespace: env.namespace })
    ).items;
  }

  async function coreEvents(): Promise<CoreEvent[]> {
    return (await client.list<CoreEvent>({ apiVersion: 'v1', kind: 'Event', namespace: env.namespace }))
      .items;
  }

  async function metric(name: string, labels: Record<string, string>): Promise<number> {
    const found = registry.getSingleMetric(name);
    if (found === undefined) return 0;
    const { values } = await found.get();
    return (
      values.find((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))?.value ?? 0
    );
  }

  it('writes an events.k8s.io/v1 Event with regarding, reporting controller and instance, action and note', async () => {
    const events = recorder();
    const related = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: env.namespace },
    };
    events.event(subject, 'Normal', 'Created', 'made the thing', { action: 'Create', related });
    await eventually(async () => (await eventsV1()).length === 1, 'the Event exists');
    const [event] = await eventsV1();
    expect(event?.regarding).to.include({ kind: 'ConfigMap', name: 'subject', namespace: env.namespace });
    expect(event?.regarding?.uid).to.equal(subject.metadata?.uid);
    expect(event).to.include({
      reportingController: 'example.com/test-operator',
      reportingInstance: 'test-operator-0',
      action: 'Create',
      reason: 'Created',
      note: 'made the thing',
      type: 'Normal',
    });
    expect(event?.related?.name).to.equal('creds');
    expect(event?.eventTime).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(event?.metadata?.name).to.match(/^subject\.[0-9a-f]+$/);
    expect(events.api()).to.equal('events.k8s.io/v1');
  });

  it('formats with eventf, and a Warning is a Warning', async () => {
    const events = recorder();
    events.eventf(subject, 'Warning', 'Failed', 'replica %d of %s: %j', 2, 'web', { code: 7 });
    await eventually(async () => (await eventsV1()).length === 1, 'the Event exists');
    const [event] = await eventsV1();
    expect(event).to.include({ type: 'Warning', note: 'replica 2 of web: {"code":7}', action: 'Failed' });
  });

  it('counts identical events into one series instead of creating more Events', async () => {
    const events = recorder();
    for (let i = 0; i < 20; i++) events.event(subject, 'Normal', 'Synced', 'in sync');
    events.event(subject, 'Normal', 'Synced', 'other message');
    await eventually(
      async () => (await eventsV1()).find((e) => e.note === 'in sync')?.series?.count === 20,
      'the series count is 20',
    );
    const all = await eventsV1();
    expect(all).to.have.length(2);
    expect(all.find((e) => e.note === 'other message')?.series).to.equal(undefined);
    // The core/v1 view of the same store shows the series too (as kube-apiserver converts it).
    expect((await coreEvents()).find((e) => e.message === 'in sync')?.series?.count).to.equal(20);
    // One create and at most a few patches, not twenty writes.
    const writes =
      (await metric('kubekit_event_recorder_writes_total', { operation: 'create', result: 'success' })) +
      (await metric('kubekit_event_recorder_writes_total', { operation: 'patch', result: 'success' }));
    expect(writes).to.be.lessThan(10);
  });

  it('starts a new Event for a repeat after the series window', async () => {
    const clock = new FakeClock();
    const events = recorder({ clock, seriesWindowMs: 1000 });
    events.event(subject, 'Normal', 'Synced', 'in sync');
    await eventually(async () => (await eventsV1()).length === 1, 'the first Event exists');
    await clock.advance(1001);
    events.event(subject, 'Normal', 'Synced', 'in sync');
    await eventually(async () => (await eventsV1()).length === 2, 'a second Event exists');
    expect((await eventsV1()).every((e) => e.series === undefined)).to.equal(true);
  });

  it('creates the Event again when a repeat finds it deleted', async () => {
    const events = recorder();
    events.event(subject, 'Normal', 'Synced', 'in sync');
    await eventually(async () => (await eventsV1()).length === 1, 'the Event exists');
    const [first] = await eventsV1();
    await client.delete({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      namespace: env.namespace,
      name: first?.metadata?.name ?? '',
    });
    events.event(subject, 'Normal', 'Synced', 'in sync');
    await eventually(async () => (await eventsV1()).length === 1, 'an Event exists again');
    const [again] = await eventsV1();
    expect(again?.metadata?.name).not.to.equal(first?.metadata?.name);
    expect(again?.series?.count).to.equal(2);
  });

  it('falls back to core/v1 for good when events.k8s.io answers 404, with count and timestamps', async () => {
    env.faults.add({ resource: 'events', verb: 'create', error: { code: 404 }, times: 1 });
    const events = recorder();
    events.event(subject, 'Warning', 'Broken', 'first');
    await eventually(async () => (await coreEvents()).length === 1, 'the core Event exists');
    expect(events.api()).to.equal('v1');
    const [first] = await coreEvents();
    expect(first).to.include({ message: 'first', count: 1, type: 'Warning', reason: 'Broken' });
    expect(first?.involvedObject?.name).to.equal('subject');
    expect(first?.source?.component).to.equal('example.com/test-operator');
    expect(first?.firstTimestamp).to.be.a('string');
    expect(first?.eventTime).to.equal(undefined); // written through core/v1, not events.k8s.io
    for (let i = 0; i < 3; i++) events.event(subject, 'Warning', 'Broken', 'first');
    events.event(subject, 'Normal', 'Fine', 'second');
    await eventually(async () => {
      const all = await coreEvents();
      return all.length === 2 && all.find((e) => e.message === 'first')?.count === 4;
    }, 'the repeat is counted and the next event is core/v1 too');
    expect((await coreEvents()).find((e) => e.message === 'second')?.eventTime).to.equal(undefined);
    expect(logged.some((l) => l.level === 'info' && l.message.includes('core/v1'))).to.equal(true);
  });

  it('does not fall back on other errors: it logs, counts and drops the event', async () => {
    env.faults.add({ resource: 'events', verb: 'create', error: { code: 403 }, times: 1 });
    const events = recorder();
    events.event(subject, 'Normal', 'Denied', 'first');
    await eventually(
      async () => (await metric('kubekit_event_recorder_writes_total', { result: 'error' })) === 1,
      'the failed write is counted',
    );
    expect(events.api()).to.equal('events.k8s.io/v1');
    expect(logged.some((l) => l.level === 'warn' && l.message.includes('cannot create'))).to.equal(true);
    events.event(subject, 'Normal', 'Allowed', 'second');
    await eventually(async () => (await eventsV1()).length === 1, 'the next Event is written');
    expect((await eventsV1())[0]?.reason).to.equal('Allowed');
  });

  it('never blocks or throws: a full queue drops new events and counts them; bad input is logged', async () => {
    const events = recorder({ queueSize: 3 }, false);
    for (let i = 0; i < 5; i++) events.event(subject, 'Normal', 'Many', `message ${String(i)}`);
    events.event(subject, 'Normal', 'Many', 'message 0'); // a repeat of a queued one: counted, not dropped
    expect(await metric('kubekit_event_recorder_dropped_total', { reason: 'queueFull' })).to.equal(2);
    expect(() => {
      events.event(subject, 'Bad' as 'Normal', 'X', 'y');
      events.event({ kind: 'ConfigMap' }, 'Normal', 'NoName', 'y');
      events.event(subject, 'Normal', '', 'no reason');
    }).not.to.throw();
    expect(await metric('kubekit_event_recorder_dropped_total', { reason: 'invalid' })).to.equal(3);
    expect(logged.filter((l) => l.level === 'error')).to.have.length(3);
    running = events.start(controller.signal);
    await eventually(async () => (await eventsV1()).length === 3, 'the queued events are written');
    expect((await eventsV1()).find((e) => e.note === 'message 0')?.series?.count).to.equal(2);
  });

  it('is rate-limited: a burst, then qps (virtual time)', async () => {
    const clock = new FakeClock();
    const events = recorder({ clock, qps: 1, burst: 2 });
    for (let i = 0; i < 4; i++) events.event(subject, 'Normal', 'Hot', `loop ${String(i)}`);
    await eventually(async () => (await eventsV1()).length === 2, 'the burst is written');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await eventsV1()).to.have.length(2);
    await clock.advance(1000);
    await eventually(async () => (await eventsV1()).length === 3, 'one more after a second');
    await clock.advance(1000);
    await eventually(async () => (await eventsV1()).length === 4, 'the last after another second');
  });

  it('drops what is still queued when its signal aborts, and counts it', async () => {
    const clock = new FakeClock();
    const events = recorder({ clock, qps: 1, burst: 1 });
    for (let i = 0; i < 3; i++) events.event(subject, 'Normal', 'Late', `n ${String(i)}`);
    await eventually(async () => (await eventsV1()).length === 1, 'the first is written');
    controller.abort();
    await running;
    expect(await metric('kubekit_event_recorder_dropped_total', { reason: 'stopped' })).to.equal(2);
    events.event(subject, 'Normal', 'After', 'stopped');
    expect(await metric('kubekit_event_recorder_dropped_total', { reason: 'stopped' })).to.equal(3);
  });
});
