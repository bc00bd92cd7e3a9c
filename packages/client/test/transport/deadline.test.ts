import { expect } from 'chai';
import { Deadline } from '#lib/transport/deadline.js';

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('Deadline', () => {
  it('is not aborted and builds no signal of its own without a timeout', () => {
    const caller = new AbortController();
    const deadline = new Deadline(caller.signal, 0);
    expect(deadline.isAborted()).to.equal(false);
    expect(deadline.signal()).to.equal(caller.signal);
    expect(new Deadline(undefined, 0).signal()).to.equal(undefined);
    deadline.end();
  });

  it('ends with a TimeoutError at its deadline: listener, signal and reason', async () => {
    const deadline = new Deadline(undefined, 20);
    const late = new Deadline(undefined, 20);
    const signal = deadline.signal();
    const heard: unknown[] = [];
    deadline.onAbort((reason) => heard.push(reason));
    await tick(200);
    expect(deadline.isAborted()).to.equal(true);
    expect(deadline.reason).to.be.instanceOf(DOMException).with.property('name', 'TimeoutError');
    expect(heard).to.deep.equal([deadline.reason]);
    expect(signal?.aborted).to.equal(true);
    // A signal asked for after the deadline is aborted already.
    expect(late.signal()?.aborted).to.equal(true);
    deadline.end();
    late.end();
  });

  it('is aborted once its time has passed, even before its timer has run (a stalled event loop)', () => {
    const deadline = new Deadline(undefined, 20);
    const signal = deadline.signal();
    const heard: unknown[] = [];
    deadline.onAbort((reason) => heard.push(reason));
    const until = performance.now() + 40;
    while (performance.now() < until) {
      // the event loop is busy: the deadline's timer cannot run
    }
    expect(deadline.isAborted()).to.equal(true);
    expect(deadline.reason).to.be.instanceOf(DOMException).with.property('name', 'TimeoutError');
    expect(heard).to.deep.equal([deadline.reason]);
    expect(signal?.aborted).to.equal(true);
    deadline.end();
  });

  it("ends with the caller's reason when the caller aborts, telling the listener once", () => {
    const caller = new AbortController();
    const deadline = new Deadline(caller.signal, 60_000);
    const heard: unknown[] = [];
    deadline.onAbort((reason) => heard.push(reason));
    const why = new Error('enough');
    caller.abort(why);
    expect(deadline.isAborted()).to.equal(true);
    expect(deadline.reason).to.equal(why);
    expect(heard).to.deep.equal([why]);
    deadline.end();
  });

  it('after end(), neither its timer nor the caller reach the listener', async () => {
    const caller = new AbortController();
    const deadline = new Deadline(caller.signal, 20);
    const heard: unknown[] = [];
    deadline.onAbort((reason) => heard.push(reason));
    deadline.end();
    caller.abort(new Error('late'));
    await tick(100);
    expect(heard).to.deep.equal([]);
    expect(deadline.signal()).to.equal(caller.signal);
  });
});
