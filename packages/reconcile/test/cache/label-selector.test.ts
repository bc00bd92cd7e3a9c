import { expect } from 'chai';
import { compileSelector, parseLabelSelector, ReconcileError } from '@kubekit/reconcile';

describe('parseLabelSelector', () => {
  it('reads every operator of the string form', () => {
    expect(
      parseLabelSelector('app=web, tier==front,env!=prod,zone in (a, b),rack notin (r1),canary,!legacy'),
    ).to.deep.equal({
      matchExpressions: [
        { key: 'app', operator: 'In', values: ['web'] },
        { key: 'tier', operator: 'In', values: ['front'] },
        { key: 'env', operator: 'NotIn', values: ['prod'] },
        { key: 'zone', operator: 'In', values: ['a', 'b'] },
        { key: 'rack', operator: 'NotIn', values: ['r1'] },
        { key: 'canary', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    expect(parseLabelSelector('')).to.deep.equal({ matchExpressions: [] });
    // An empty value is a value: `app=` selects objects whose app label is "".
    expect(parseLabelSelector('app=')).to.deep.equal({
      matchExpressions: [{ key: 'app', operator: 'In', values: [''] }],
    });
  });

  it('rejects what it cannot read with a typed error', () => {
    for (const bad of ['a b', '!app=web', 'x in a,b', '=web']) {
      expect(() => parseLabelSelector(bad), bad).to.throw(ReconcileError, /label selector/);
    }
  });
});

describe('compileSelector', () => {
  it('matches labels by string, LabelSelector and plain equalities alike', () => {
    const labels = { app: 'web', zone: 'a' };
    expect(compileSelector('app=web,zone in (a,b),!legacy')(labels)).to.equal(true);
    expect(compileSelector('app!=web')(labels)).to.equal(false);
    expect(compileSelector('zone notin (a)')(labels)).to.equal(false);
    expect(compileSelector('missing notin (a)')(labels)).to.equal(true);
    expect(
      compileSelector({
        matchLabels: { app: 'web' },
        matchExpressions: [{ key: 'zone', operator: 'Exists' }],
      })(labels),
    ).to.equal(true);
    expect(compileSelector({ app: 'db' })(labels)).to.equal(false);
    expect(() => compileSelector({ matchExpressions: [{ key: 'a', operator: 'Gt' }] })).to.throw(
      /operator "Gt"/,
    );
  });
});
