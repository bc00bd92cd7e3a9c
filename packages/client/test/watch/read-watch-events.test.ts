import { Readable } from 'node:stream';
import { expect } from 'chai';
import { KubeClientError, isExpired } from '@kubekit/client';
import type { WatchEvent } from '@kubekit/client';
import { readWatchEvents } from '#lib/watch/read-watch-events.js';
import { rejectionOf } from '../support/rejection.js';
import { VirtualClock } from '../support/virtual-clock.js';

/** Lets stream and promise callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const options = { maxLineLength: 1000, inactivityTimeoutMs: 0, what: 'watch /x' };

async function collect(
  chunks: readonly Uint8Array[],
  opts: Parameters<typeof readWatchEvents>[1] = options,
): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  for await (const event of readWatchEvents(Readable.from(chunks), opts)) events.push(event);
  return events;
}

const line = (type: string, object: unknown): string => `${JSON.stringify({ type, object })}\n`;

describe('readWatchEvents', () => {
  it('decodes UTF-8 characters split across chunks', async () => {
    const bytes = Buffer.from(line('ADDED', { metadata: { name: 'ü€😀' } }));
    const at = bytes.indexOf(Buffer.from('€')) + 1; // inside the three bytes of €
    const events = await collect([bytes.subarray(0, at), bytes.subarray(at, at + 3), bytes.subarray(at + 3)]);
    expect(events).to.deep.equal([{ type: 'ADDED', object: { metadata: { name: 'ü€😀' } } }]);
  });

  it('yields several events of one chunk, and one spread over many, bookmarks included', async () => {
    const text =
      line('ADDED', { a: 1 }) +
      line('BOOKMARK', { metadata: { resourceVersion: '9' } }) +
      line('DELETED', { a: 1 });
    const events = await collect([...Buffer.from(text)].map((b) => Uint8Array.of(b)));
    expect(events.map((e) => e.type)).to.deep.equal(['ADDED', 'BOOKMARK', 'DELETED']);
  });

  it('throws an ERROR event as an api error (410 Expired → isExpired)', async () => {
    const status = { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410, message: 'too old' };
    const error = await rejectionOf(collect([Buffer.from(line('ADDED', { a: 1 }) + line('ERROR', status))]));
    expect(isExpired(error)).to.be.true;
    expect((error as KubeClientError).code).to.equal(410);
  });

  it('fails with invalidResponse on a line longer than maxLineLength, without reading on', async () => {
    const long = Buffer.from('{"type":"ADDED","object":{"x":"' + 'y'.repeat(2000));
    const error = await rejectionOf(collect([long, Buffer.from('"}}\n')]));
    expect(KubeClientError.is(error, 'invalidResponse')).to.be.true;
    expect(String(error)).to.include('maxLineLength');
  });

  it('fails with invalidResponse on a line that is not JSON or has no known type', async () => {
    expect(KubeClientError.is(await rejectionOf(collect([Buffer.from('nope\n')])), 'invalidResponse')).to.be
      .true;
    const unknown = await rejectionOf(collect([Buffer.from(line('WHAT', {}))]));
    expect(KubeClientError.is(unknown, 'invalidResponse')).to.be.true;
  });

  it('reads a last event without a newline', async () => {
    const events = await collect([Buffer.from(JSON.stringify({ type: 'ADDED', object: { a: 1 } }))]);
    expect(events).to.have.length(1);
  });

  it('fails with kind timeout when no data comes for inactivityTimeoutMs of the clock, but not while the consumer holds an event', async () => {
    const clock = new VirtualClock();
    const body = new Readable({ read: () => undefined });
    body.push(Buffer.from(line('ADDED', { a: 1 })));
    const events = readWatchEvents(body, { ...options, inactivityTimeoutMs: 1000, clock });
    expect((await events.next()).value).to.deep.include({ type: 'ADDED' });
    clock.advance(5000); // the consumer is slow: its time does not count
    await settle();
    body.push(Buffer.from(line('MODIFIED', { a: 2 })));
    expect((await events.next()).value).to.deep.include({ type: 'MODIFIED' });
    let failed: unknown;
    const next = events.next().catch((error: unknown) => {
      failed = error;
    });
    clock.advance(600);
    await settle();
    body.push(Buffer.from(' ')); // data, though no event: the silence starts again
    await settle();
    clock.advance(600);
    await settle();
    expect(failed, 'data 600 ms ago').to.equal(undefined);
    expect(body.destroyed).to.be.false;
    clock.advance(400);
    await next;
    expect(KubeClientError.is(failed, 'timeout'), String(failed)).to.be.true;
    expect(body.destroyed).to.be.true;
    expect(clock.waiting, 'no timer left').to.equal(0);
  });

  it('leaves no timer behind when the stream ends', async () => {
    const clock = new VirtualClock();
    const events = await collect([Buffer.from(line('ADDED', { a: 1 }))], {
      ...options,
      inactivityTimeoutMs: 1000,
      clock,
    });
    expect(events).to.have.length(1);
    await settle();
    expect(clock.waiting).to.equal(0);
  });

  it('destroys the body when the consumer stops early', async () => {
    const body = new Readable({ read: () => undefined });
    body.push(Buffer.from(line('ADDED', { a: 1 })));
    for await (const event of readWatchEvents(body, options)) {
      expect(event.type).to.equal('ADDED');
      break;
    }
    expect(body.destroyed).to.be.true;
  });
});
