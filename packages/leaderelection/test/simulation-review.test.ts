import { expect } from 'chai';
import { legacyAnnotationFormat } from './sim/legacy-annotation-format.js';
import { runSchedule } from './sim/simulation.js';

// Faults the simulation did not model until the adversarial review of the split elector.
describe('deterministic simulation: review findings', function () {
  this.timeout(120_000);

  it('regression: a lock that stores acquireTime in whole seconds leads as steadily as one that does not (own records recognised)', async () => {
    // The liveness check ("a term valid at some instant after the faults") does not see a leader
    // that steps down after every first renew and is replaced only after leaseDuration: compare
    // how many terms the same schedules take with and without the lossy format instead.
    const differences: string[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const plain = await runSchedule(seed, { faults: ['latency'] });
      const legacy = await runSchedule(seed, { faults: ['latency'], wrapLock: legacyAnnotationFormat });
      if (legacy.terms > plain.terms)
        differences.push(`seed ${seed}: ${plain.terms} terms, ${legacy.terms} with whole seconds`);
    }
    expect(differences).to.deep.equal([]);
  });
});
