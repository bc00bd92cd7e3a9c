// The informer under watch streams cut in the middle of an event (envtest's cutWatchesMidEvent):
// half of an event line arrives, then the connection breaks. The half line must be dropped, not
// parsed, and the watch resumed from the last complete event, again and again.
import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { eventually } from '../support/eventually.js';
import { InformerFixture } from '../support/informer-fixture.js';

describe('Informer under watch streams cut mid-event', () => {
  const env = useEnvtest({ users: ['informer'], bookmarkIntervalMs: 100 });
  let fixture: InformerFixture | undefined;

  afterEach(async () => {
    await fixture?.stop();
    fixture = undefined;
  });

  it('misses no create, update or delete while its watch is cut mid-event again and again, and never relists', async () => {
    const f = (fixture = new InformerFixture(env.kubeConfigFor('informer'), env.kubeConfig, env.namespace));
    for (const name of ['keep', 'change', 'gone-1', 'gone-2']) await f.create(name, { v: '1' });
    await eventually(() => f.matchesServer(), 'the informer has the seed');
    let crashed: unknown;
    f.informer.events().subscribe({ error: (error: unknown) => (crashed = error) });
    env.counters.reset();

    // Each round arms the open watch, then changes: the first change's event is cut in half,
    // the second happens while the informer reconnects (or just after).
    const rounds: [() => Promise<unknown>, () => Promise<unknown>][] = [
      [() => f.create('new-1', { v: '1' }), () => f.update('change', { v: '2' })],
      [() => f.remove('gone-1'), () => f.create('new-2', { v: '1' })],
      [() => f.update('new-1', { v: '2' }), () => f.remove('gone-2')],
      [() => f.update('change', { v: '3' }), () => f.update('keep', { v: '2' })],
      [() => f.remove('new-2'), () => f.create('new-3', { v: '1' })],
      [() => f.update('new-3', { v: '2' }), () => f.update('change', { v: '4' })],
    ];
    let cuts = 0;
    for (const [cutChange, laterChange] of rounds) {
      // Arms the informer's watch as soon as it is open again (a watch is armed once).
      await eventually(
        () => env.faults.cutWatchesMidEvent({ user: 'informer', resource: 'configmaps' }) === 1,
        'the informer watches again',
      );
      cuts += 1;
      await cutChange();
      await laterChange();
    }
    await eventually(() => f.matchesServer(), 'the cache matches the server (same resourceVersions)');
    await eventually(() => f.informer.healthy(), 'the informer is healthy');

    expect(cuts).to.equal(rounds.length);
    expect([...f.deleted()].sort(), 'every delete delivered once').to.deep.equal([
      'gone-1',
      'gone-2',
      'new-2',
    ]);
    expect(f.informer.get(`${env.namespace}/change`)).to.deep.include({ data: { v: '4' } });
    expect(f.informer.get(`${env.namespace}/new-1`)).to.deep.include({ data: { v: '2' } });
    expect(
      env.counters.count({ user: 'informer', verb: 'list' }),
      'resumed every time, never relisted',
    ).to.equal(0);
    expect(
      env.counters.count({ user: 'informer', verb: 'watch' }),
      'a new watch after each cut',
    ).to.be.at.least(rounds.length);
    expect(crashed, 'the event stream did not fail').to.equal(undefined);
    // The informer still follows live changes after the last cut.
    await f.create('after');
    await eventually(() => f.matchesServer(), 'it keeps watching');
  });
});
